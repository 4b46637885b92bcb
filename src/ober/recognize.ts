// OBER: ontology-based entity recognition over one chest X-ray report. The report is read section by
// section, sentence by sentence, clause by clause; within a clause, findings are located by longest
// phrase match, then negation/uncertainty cues and descriptors are bound to them by position.
import type { EntitySet } from './entities.js';
import { ontologyLexicon, tokenize, type LexEntry, type PhraseMatch, type Token } from './lexicon.js';
import { loadOntology } from './ontology.js';
import { reportRanges } from './sections.js';

export interface Finding {
  disease: string;
  /** Canonical adjectives bound to this finding, sorted. */
  adjectives: string[];
  /** Canonical directions bound to this finding, sorted. */
  directions: string[];
  negated: boolean;
  uncertain: boolean;
  /** Character range [start, end) in the input text. */
  span: [number, number];
  text: string;
}

/** 1 positive, 0 negative, -1 uncertain (CheXpert convention); a class not mentioned is absent. */
export type Label = 1 | 0 | -1;

export interface Recognition {
  findings: Finding[];
  labels: Record<string, Label>;
  entities: EntitySet;
}

/** A finding while its clause is read: `at` is its phrase index in the clause. */
interface Candidate {
  disease: string;
  at: number;
  /** Set for "heart size is normal": the statement itself is the negation. */
  normalStatement: boolean;
  adjectives: Set<string>;
  directions: Set<string>;
  first: number;
  last: number;
}

const sentenceEnds = new Set(['.', '!', '?', ';', ':', '\n\n']);
// A period after these does not end the sentence.
const abbreviations = new Set(['vs', 'dr', 'e.g', 'i.e', 'approx', 'no']);
// Words that may stand between a descriptor and the finding it pre-modifies ("small amount of left effusion").
const modifierFillers = new Set([
  'and',
  'or',
  'to',
  'the',
  'a',
  'an',
  'of',
  ',',
  'amount',
  'amounts',
  'lobe',
  'lobes',
  'zone',
  'zones',
  'side',
  'region',
  'area',
  'volume',
  'in',
  'at',
  'xxxx',
]);

function has(m: PhraseMatch, kind: LexEntry['kind']): boolean {
  return m.entries.some((e) => e.kind === kind);
}

/** Token index ranges [start, end) of the sentences inside one character range. */
function sentences(tokens: Token[], from: number, to: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let start = -1;
  // Tokens are in text order: begin at the range's first token and stop past its end, so that a report
  // of many short sections is not scanned whole once per section.
  let lo = 0;
  for (let hi = tokens.length; lo < hi; ) {
    const mid = (lo + hi) >>> 1;
    if (tokens[mid].start < from) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < tokens.length && tokens[i].start < to; i++) {
    const t = tokens[i];
    if (t.end > to) continue;
    if (start < 0) start = i;
    const isEnd =
      sentenceEnds.has(t.text) &&
      !(t.text === '.' && i > 0 && abbreviations.has(tokens[i - 1].text) && tokens[i - 1].end === t.start);
    if (isEnd) {
      if (i > start) out.push([start, i]);
      start = -1;
    }
  }
  if (start >= 0) {
    let end = start;
    while (end < tokens.length && tokens[end].end <= to) end++;
    out.push([start, end]);
  }
  return out;
}

/**
 * Binding cues and descriptors within a clause is quadratic in its length, so a clause longer than any
 * real report's (every clause of the Open-i dev reports holds under 64 phrases) is read in pieces of
 * this size: the pieces of a hostile run-on text cost linear time in all.
 */
const maxClausePhrases = 100;

/** Splits a sentence's phrase matches into clauses at boundary words ("but", "which", "however"). */
function clauses(matches: PhraseMatch[]): PhraseMatch[][] {
  const out: PhraseMatch[][] = [[]];
  for (const m of matches) {
    if (has(m, 'boundary') && !has(m, 'finding')) out.push([]);
    else out[out.length - 1].push(m);
  }
  return out.filter((c) => c.length > 0);
}

function newCandidate(disease: string, at: number, first: number, last: number, normalStatement: boolean): Candidate {
  return { disease, at, first, last, normalStatement, adjectives: new Set(), directions: new Set() };
}

/** Anatomy words tied to their nearest normality/abnormality word: "heart size is normal" → Cardiomegaly negative. */
function anatomyCandidates(clause: PhraseMatch[]): Candidate[] {
  const out: Candidate[] = [];
  clause.forEach((m, at) => {
    for (const e of m.entries) {
      if (e.kind !== 'anatomy') continue;
      let best: { at: number; normal: boolean } | undefined;
      clause.forEach((c, j) => {
        const normal = c.entries.some((x) => x.kind === 'normal' && x.cls === e.cls);
        const abnormal = c.entries.some((x) => x.kind === 'abnormal' && x.cls === e.cls);
        if ((normal || abnormal) && (!best || Math.abs(j - at) < Math.abs(best.at - at))) best = { at: j, normal };
      });
      if (!best) continue;
      const [lo, hi] = best.at < at ? [best.at, at] : [at, best.at];
      out.push(newCandidate(e.cls, at, clause[lo].first, clause[hi].last, best.normal));
    }
  });
  return out;
}

function findingCandidates(clause: PhraseMatch[]): Candidate[] {
  const out: Candidate[] = [];
  clause.forEach((m, at) => {
    for (const e of m.entries) if (e.kind === 'finding') out.push(newCandidate(e.cls, at, m.first, m.last, false));
  });
  return out;
}

// Words that join the items of one list under a shared cue: "no effusion, pneumothorax, or consolidation".
const listJoiners = new Set([',', 'and', 'or', 'nor']);
// "or"/"nor" introduces a list's last item, so a comma after that item ends the list.
const finalJoiners = new Set(['or', 'nor']);
// Descriptors that open a new, asserted statement when they lead a list item: "no pneumothorax, small
// effusion". Extent words and "acute" are left out: they qualify negated items too ("no focal consolidation").
const statementAdjectiveGroups = new Set(['severity', 'size', 'chronicity']);

function wordAt(m: PhraseMatch, tokens: Token[]): string | undefined {
  return m.entries.length === 0 && m.first === m.last ? tokens[m.first].text : undefined;
}

function opensStatement(m: PhraseMatch): boolean {
  const adjectives = loadOntology().adjectives;
  return m.entries.some(
    (e) =>
      e.kind === 'direction' ||
      (e.kind === 'adjective' && e.value !== 'acute' && statementAdjectiveGroups.has(adjectives[e.value].group)),
  );
}

/** Index of the first phrase of the list item that holds phrase `to` (just after the previous joiner). */
function itemStart(words: (string | undefined)[], to: number): number {
  let k = to;
  while (k > 0 && !listJoiners.has(words[k - 1] ?? '')) k--;
  return k;
}

/**
 * Whether a pre-cue at `cue` reaches the finding at `at` (NegEx-style termination): a list item after a
 * comma or "and" is a new, asserted statement when its words before its finding open a statement ("no
 * pneumothorax, small effusion") and no later "or"/"nor" marks the items as one list; and a comma after
 * the item that an "or"/"nor" introduced ends the list ("no pneumothorax or effusion, mild cardiomegaly").
 */
function preCueReaches(
  clause: PhraseMatch[],
  words: (string | undefined)[],
  finalAfter: number,
  cue: number,
  at: number,
): boolean {
  const finalLater = (k: number) => finalAfter > k;
  let finalItemOpen = false;
  let finalItemDone = false;
  for (let k = cue + 1; k < at; k++) {
    const w = words[k];
    if (w !== undefined && finalJoiners.has(w)) finalItemOpen = true;
    else if (finalItemOpen && has(clause[k], 'finding')) finalItemDone = true;
    if (w === undefined || !listJoiners.has(w) || finalJoiners.has(w)) continue;
    if (w === ',' && finalItemDone) return false;
    let end = k + 1;
    while (end < at && !has(clause[end], 'finding') && !listJoiners.has(words[end] ?? '')) end++;
    if (clause.slice(k + 1, end).some(opensStatement) && !finalLater(k)) return false;
  }
  return true;
}

/** The mirror rule for a post-cue ("small effusion, pneumothorax not seen"): the finding's own item decides. */
function postCueReaches(clause: PhraseMatch[], words: (string | undefined)[], cue: number, at: number): boolean {
  const between = words.slice(at + 1, cue);
  const separated = between.includes(',') && !between.some((w) => w !== undefined && finalJoiners.has(w));
  return !(separated && clause.slice(itemStart(words, at), at).some(opensStatement));
}

/** A clause's plain words (undefined for lexicon phrases) and the index of its last "or"/"nor" (-1 if none). */
interface ClauseWords {
  words: (string | undefined)[];
  finalAfter: number;
}

function clauseWords(clause: PhraseMatch[], tokens: Token[]): ClauseWords {
  const words = clause.map((m) => wordAt(m, tokens));
  let finalAfter = -1;
  words.forEach((w, k) => {
    if (w !== undefined && finalJoiners.has(w)) finalAfter = k;
  });
  return { words, finalAfter };
}

function negationReaches(clause: PhraseMatch[], { words, finalAfter }: ClauseWords, cue: number, at: number): boolean {
  return cue < at ? preCueReaches(clause, words, finalAfter, cue, at) : postCueReaches(clause, words, cue, at);
}

/**
 * The nearest cue governing the finding at `at` decides it: a pre-cue before it or a post-cue after it,
 * anywhere in the clause as long as no list break stands between them. Nearest wins so that "no
 * effusion, possible atelectasis" reads right.
 */
function governingCue(clause: PhraseMatch[], words: ClauseWords, at: number): 'negated' | 'uncertain' | 'none' {
  let best: { dist: number; cue: 'negated' | 'uncertain' } | undefined;
  clause.forEach((m, j) => {
    if (j === at || has(m, 'pseudo')) return;
    const before = j < at;
    const neg = has(m, before ? 'negPre' : 'negPost');
    const unc = has(m, before ? 'uncPre' : 'uncPost');
    // Only negation stops at list breaks: a hedge often spans a differential list of asserted-looking
    // items ("differential includes atelectasis, small infiltrate").
    if ((!neg && !unc) || (neg && !negationReaches(clause, words, j, at))) return;
    const dist = Math.abs(j - at);
    if (!best || dist < best.dist) best = { dist, cue: neg ? 'negated' : 'uncertain' };
  });
  return best?.cue ?? 'none';
}

function isModifierFiller(m: PhraseMatch, tokens: Token[]): boolean {
  if (m.entries.length === 0) return m.first === m.last && modifierFillers.has(tokens[m.first].text);
  return m.entries.every((e) => e.kind === 'adjective' || e.kind === 'direction' || e.kind === 'anatomy');
}

/**
 * The finding a descriptor at `at` modifies: the next finding when only descriptors and filler words
 * stand between them ("small left effusion"); else the nearest finding before it ("opacity in the
 * right base"); else the next finding in the clause.
 */
function descriptorTarget(
  clause: PhraseMatch[],
  at: number,
  targets: Candidate[],
  tokens: Token[],
): Candidate | undefined {
  const after = targets.filter((c) => c.at > at).sort((a, b) => a.at - b.at)[0];
  if (after && clause.slice(at + 1, after.at).every((m) => isModifierFiller(m, tokens))) return after;
  const before = targets.filter((c) => c.at < at).sort((a, b) => b.at - a.at)[0];
  return before ?? after;
}

function bindDescriptors(clause: PhraseMatch[], candidates: Candidate[], tokens: Token[]): void {
  const targets = candidates.filter((c) => !c.normalStatement);
  clause.forEach((m, at) => {
    for (const e of m.entries) {
      if (e.kind !== 'adjective' && e.kind !== 'direction') continue;
      // All candidates at the same phrase index are one finding phrase naming several classes.
      const target = descriptorTarget(clause, at, targets, tokens);
      if (!target) continue;
      for (const c of targets.filter((t) => t.at === target.at)) {
        if (e.kind === 'adjective') c.adjectives.add(e.value);
        else for (const v of e.values) c.directions.add(v);
      }
    }
  });
}

function clauseFindings(text: string, tokens: Token[], clause: PhraseMatch[]): Finding[] {
  const candidates = [...findingCandidates(clause), ...anatomyCandidates(clause)];
  bindDescriptors(clause, candidates, tokens);
  const words = clauseWords(clause, tokens);
  return candidates.map((c) => {
    const cue = c.normalStatement ? 'negated' : governingCue(clause, words, c.at);
    const span: [number, number] = [tokens[c.first].start, tokens[c.last].end];
    return {
      disease: c.disease,
      adjectives: [...c.adjectives].sort(),
      directions: [...c.directions].sort(),
      negated: cue === 'negated',
      uncertain: cue === 'uncertain',
      span,
      text: text.slice(span[0], span[1]),
    };
  });
}

function labelOf(f: Finding): Label {
  return f.negated ? 0 : f.uncertain ? -1 : 1;
}

// When a class is mentioned several times, positive beats uncertain beats negative: a report that says
// "no effusion on the right; small left effusion" has an effusion.
const labelRank: Record<Label, number> = { 1: 3, [-1]: 2, 0: 1 };

function mergeLabel(labels: Record<string, Label>, cls: string, label: Label): void {
  const old = labels[cls];
  if (old === undefined || labelRank[label] > labelRank[old]) labels[cls] = label;
}

/** The classes a finding of `disease` counts for: itself and its ancestors (Nodule → Lung Lesion). */
function classAndAncestors(disease: string): string[] {
  const parents = new Map(loadOntology().classes.map((c) => [c.name, c.parent]));
  const out = [disease];
  for (let p = parents.get(disease); p; p = parents.get(p)) out.push(p);
  return out;
}

/**
 * Like CheXpert, No Finding is 1 when no finding is positive or uncertain and devices do not count; like
 * an expert's "normal", incidental findings outside CheXpert (degenerative spine, granulomas…) count.
 */
function ruleOutNoFinding(): Set<string> {
  return new Set(
    loadOntology()
      .classes.filter((c) => c.role !== 'device' && c.name !== 'No Finding')
      .map((c) => c.name),
  );
}

function labelsFrom(findings: Finding[]): Record<string, Label> {
  const labels: Record<string, Label> = {};
  for (const f of findings) for (const cls of classAndAncestors(f.disease)) mergeLabel(labels, cls, labelOf(f));
  const rulingOut = ruleOutNoFinding();
  if (!Object.entries(labels).some(([cls, l]) => rulingOut.has(cls) && l !== 0)) labels['No Finding'] = 1;
  return labels;
}

function entitiesFrom(findings: Finding[], labels: Record<string, Label>): EntitySet {
  const sets = new Map<string, { adjectives: Set<string>; directions: Set<string> }>();
  for (const [cls, l] of Object.entries(labels))
    if (l === 1) sets.set(cls, { adjectives: new Set(), directions: new Set() });
  for (const f of findings) {
    if (f.negated || f.uncertain) continue;
    for (const cls of classAndAncestors(f.disease)) {
      const s = sets.get(cls);
      f.adjectives.forEach((a) => s?.adjectives.add(a));
      f.directions.forEach((d) => s?.directions.add(d));
    }
  }
  const entities: EntitySet = {};
  for (const [cls, s] of sets)
    entities[cls] = { adjectives: [...s.adjectives].sort(), directions: [...s.directions].sort() };
  return entities;
}

/** 'chest' or 'other' when the sentence only names an exam ("Right knee."), else undefined. */
function examHeader(tokens: Token[], start: number, end: number): 'chest' | 'other' | undefined {
  const { chest, other, fillers } = loadOntology().examHeaders;
  const words = tokens.slice(start, end).map((t) => t.text);
  if (!words.every((w) => chest.includes(w) || other.includes(w) || fillers.includes(w))) return undefined;
  if (words.some((w) => chest.includes(w))) return 'chest';
  return words.some((w) => other.includes(w)) ? 'other' : undefined;
}

export function recognize(text: string): Recognition {
  const tokens = tokenize(text);
  const lexicon = ontologyLexicon();
  const findings: Finding[] = [];
  for (const [from, to] of reportRanges(text)) {
    // A report covering several exams states the chest's findings under "Chest." and others under "Left knee.".
    let otherExam = false;
    for (const [start, end] of sentences(tokens, from, to)) {
      const header = examHeader(tokens, start, end);
      if (header) otherExam = header === 'other';
      if (header || otherExam) continue;
      for (const clause of clauses(lexicon.matchAll(tokens, start, end))) {
        for (let at = 0; at < clause.length; at += maxClausePhrases)
          findings.push(...clauseFindings(text, tokens, clause.slice(at, at + maxClausePhrases)));
      }
    }
  }
  findings.sort((a, b) => a.span[0] - b.span[0]);
  const labels = labelsFrom(findings);
  return { findings, labels, entities: entitiesFrom(findings, labels) };
}
