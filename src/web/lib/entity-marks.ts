// Where OBER's entities sit in a report, for highlighting: each finding OBER reports (recognize()) is marked
// over its span, with its state; each descriptor phrase (ontology adjective or direction) that OBER bound to
// a finding is marked with that finding's class: it is the nearest finding in the same sentence whose
// descriptors hold the phrase's canonical value. The entity set shown beside the report is OBER's own.
import type { EntitySet } from '../../ober/entities.js';
import { ontologyLexicon, tokenize, type Token } from '../../ober/lexicon.js';
import { recognize, type Finding } from '../../ober/recognize.js';

export type MarkKind = 'class' | 'adjective' | 'direction';

export interface EntityMark {
  kind: MarkKind;
  /** Character range [start, end) in the report. */
  start: number;
  end: number;
  /** The disease class of the finding (for descriptors: of the finding they describe). */
  disease: string;
  /** Canonical descriptor values (one, or several for "bibasilar"); empty for a class mark. */
  values: string[];
  state: 'positive' | 'negated' | 'uncertain';
}

export interface MarkedReport {
  marks: EntityMark[];
  entities: EntitySet;
}

const SENTENCE_ENDS = new Set(['.', '!', '?', ';', ':', '\n\n']);

function stateOf(f: Finding): EntityMark['state'] {
  return f.negated ? 'negated' : f.uncertain ? 'uncertain' : 'positive';
}

/** Sentence number of every character offset's token, so "same sentence" is one comparison. */
function sentenceOf(tokens: Token[]): (offset: number) => number {
  const starts: number[] = [];
  let sentence = 0;
  for (const t of tokens) {
    starts.push(sentence);
    if (SENTENCE_ENDS.has(t.text)) sentence++;
  }
  return (offset) => {
    const i = tokens.findIndex((t) => t.end > offset);
    return i < 0 ? sentence : starts[i]!;
  };
}

function descriptorMarks(report: string, findings: Finding[]): EntityMark[] {
  const tokens = tokenize(report);
  const sentence = sentenceOf(tokens);
  const marks: EntityMark[] = [];
  for (const m of ontologyLexicon().matchAll(tokens, 0, tokens.length)) {
    const start = tokens[m.first]!.start;
    const end = tokens[m.last]!.end;
    for (const e of m.entries) {
      if (e.kind !== 'adjective' && e.kind !== 'direction') continue;
      const values = e.kind === 'adjective' ? [e.value] : e.values;
      const held = (f: Finding) =>
        values.some((v) => (e.kind === 'adjective' ? f.adjectives : f.directions).includes(v));
      const owner = findings
        .filter((f) => held(f) && sentence(f.span[0]) === sentence(start))
        .sort((a, b) => Math.abs(a.span[0] - start) - Math.abs(b.span[0] - start))[0];
      if (owner) marks.push({ kind: e.kind, start, end, disease: owner.disease, values, state: stateOf(owner) });
    }
  }
  return marks;
}

export function markReport(report: string): MarkedReport {
  const { findings, entities } = recognize(report);
  const classMarks = findings.map(
    (f): EntityMark => ({
      kind: 'class',
      start: f.span[0],
      end: f.span[1],
      disease: f.disease,
      values: [],
      state: stateOf(f),
    }),
  );
  // Containers first: a finding's span can hold its descriptors ("the heart is mildly enlarged").
  const marks = [...classMarks, ...descriptorMarks(report, findings)].sort(
    (a, b) => a.start - b.start || b.end - a.end,
  );
  return { marks, entities };
}

function markElement(m: EntityMark): HTMLElement {
  const mark = document.createElement('mark');
  mark.className = `entity entity-${m.kind} entity-${m.state}`;
  Object.assign(mark.dataset, {
    kind: m.kind,
    disease: m.disease,
    state: m.state,
    start: String(m.start),
    end: String(m.end),
    values: m.values.join('|'),
  });
  mark.title = m.kind === 'class' ? `${m.disease} (${m.state})` : `${m.kind} ${m.values.join(', ')} of ${m.disease}`;
  return mark;
}

/** Appends report[from, to) with the marks (sorted, containers first) as nested <mark> elements. */
function appendMarked(parent: Node, report: string, from: number, to: number, marks: readonly EntityMark[]): void {
  let at = from;
  for (let i = 0; i < marks.length; ) {
    const m = marks[i]!;
    let j = i + 1;
    while (j < marks.length && marks[j]!.start < m.end) j++;
    parent.appendChild(document.createTextNode(report.slice(at, m.start)));
    const element = markElement(m);
    // A mark that starts inside this one but ends beyond it cannot nest; it is left out.
    appendMarked(
      element,
      report,
      m.start,
      m.end,
      marks.slice(i + 1, j).filter((x) => x.end <= m.end),
    );
    parent.appendChild(element);
    at = m.end;
    i = j;
  }
  parent.appendChild(document.createTextNode(report.slice(at, to)));
}

/** The report as text nodes and <mark> elements (kind, class, state and values in data attributes). */
export function renderMarkedReport(report: string, marks: readonly EntityMark[]): DocumentFragment {
  const fragment = document.createDocumentFragment();
  appendMarked(fragment, report, 0, report.length, marks);
  return fragment;
}
