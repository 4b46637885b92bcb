// Tokenizer and phrase lexicon for OBER: every surface form of the ontology (findings, descriptors,
// cues, anatomy words) goes into one token trie, so a report is read once, longest phrase first.
import { loadOntology, type Ontology } from './ontology.js';

export interface Token {
  /** Lower-case token text. */
  text: string;
  start: number;
  end: number;
}

/** What a matched phrase means; one phrase can mean several things ("normal" is a cue and a normality word). */
export type LexEntry =
  | { kind: 'finding'; cls: string }
  | { kind: 'adjective'; value: string }
  | { kind: 'direction'; values: string[] }
  | { kind: 'negPre' | 'negPost' | 'uncPre' | 'uncPost' | 'pseudo' | 'boundary' | 'ignored' }
  | { kind: 'anatomy' | 'normal' | 'abnormal'; cls: string };

/** A run of tokens [first, last] matched as one phrase (entries empty for an unknown word). */
export interface PhraseMatch {
  first: number;
  last: number;
  entries: LexEntry[];
}

// Decimals stay one token so "1.5 cm" does not end a sentence; hyphen/slash compounds stay whole.
const tokenPattern = /\d+(?:\.\d+)?|[a-z0-9]+(?:[-'/][a-z0-9]+)*|\n[ \t]*\n|[.;:!?,()]/g;

export function tokenize(text: string): Token[] {
  const lower = text.toLowerCase();
  const tokens: Token[] = [];
  for (const m of lower.matchAll(tokenPattern)) {
    tokens.push({ text: m[0].startsWith('\n') ? '\n\n' : m[0], start: m.index, end: m.index + m[0].length });
  }
  return tokens;
}

interface TrieNode {
  next: Map<string, TrieNode>;
  entries: LexEntry[];
}

export class Lexicon {
  private readonly root: TrieNode = { next: new Map(), entries: [] };

  add(phrase: string, entry: LexEntry): void {
    let node = this.root;
    for (const token of tokenize(phrase)) {
      let child = node.next.get(token.text);
      if (!child) node.next.set(token.text, (child = { next: new Map(), entries: [] }));
      node = child;
    }
    if (node !== this.root) node.entries.push(entry);
  }

  /** The longest known phrase starting at token i, or the single token i with no entries. */
  matchAt(tokens: Token[], i: number, end: number): PhraseMatch {
    let node = this.root;
    let best: PhraseMatch = { first: i, last: i, entries: [] };
    for (let j = i; j < end; j++) {
      const child = node.next.get(tokens[j].text);
      if (!child) break;
      node = child;
      if (node.entries.length > 0) best = { first: i, last: j, entries: node.entries };
    }
    return best;
  }

  /** Splits tokens [start, end) into consecutive phrase matches. */
  matchAll(tokens: Token[], start: number, end: number): PhraseMatch[] {
    const out: PhraseMatch[] = [];
    for (let i = start; i < end; ) {
      const m = this.matchAt(tokens, i, end);
      out.push(m);
      i = m.last + 1;
    }
    return out;
  }
}

function addAll(lex: Lexicon, phrases: string[], entry: LexEntry): void {
  for (const p of phrases) lex.add(p, entry);
}

function buildLexicon(o: Ontology): Lexicon {
  const lex = new Lexicon();
  // "No Finding" is decided from the other classes, never matched as text.
  for (const c of o.classes) if (c.name !== 'No Finding') addAll(lex, c.terms, { kind: 'finding', cls: c.name });
  for (const [value, a] of Object.entries(o.adjectives)) addAll(lex, a.terms, { kind: 'adjective', value });
  for (const [value, d] of Object.entries(o.directions)) addAll(lex, d.terms, { kind: 'direction', values: [value] });
  for (const [term, values] of Object.entries(o.expansions)) lex.add(term, { kind: 'direction', values });
  addAll(lex, o.negation.pre, { kind: 'negPre' });
  addAll(lex, o.negation.post, { kind: 'negPost' });
  addAll(lex, o.uncertainty.pre, { kind: 'uncPre' });
  addAll(lex, o.uncertainty.post, { kind: 'uncPost' });
  addAll(lex, o.pseudoNegation, { kind: 'pseudo' });
  addAll(lex, o.clauseBoundaries, { kind: 'boundary' });
  addAll(lex, o.ignoredPhrases, { kind: 'ignored' });
  for (const a of o.anatomy) {
    addAll(lex, a.terms, { kind: 'anatomy', cls: a.class });
    addAll(lex, a.normal, { kind: 'normal', cls: a.class });
    addAll(lex, a.abnormal, { kind: 'abnormal', cls: a.class });
  }
  return lex;
}

let cached: Lexicon | undefined;

export function ontologyLexicon(): Lexicon {
  return (cached ??= buildLexicon(loadOntology()));
}
