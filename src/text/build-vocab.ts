// Learns a small WordPiece vocabulary from a corpus, for a tiny domain model.
//
// The learner (deterministic, like HF's WordPieceTrainer, which is BPE-based):
//   1. the corpus is split into words exactly as the tokenizer will split it (basicTokenize, cased or not);
//   2. the vocabulary starts with [PAD] [UNK] [CLS] [SEP] [MASK], then every character seen (sorted by code
//      point), then every character's "##" continuation form, so any text made of seen characters
//      tokenizes without [UNK];
//   3. each word is a sequence of pieces (first character, then "##" characters); repeatedly, the adjacent
//      pair of pieces occurring most often in the corpus (ties: the lexicographically smaller pair) is merged
//      everywhere into one piece ("ab" + "##c" -> "abc", "##a" + "##b" -> "##ab"), and the new piece is added.
//      Frequent words thus end up whole and frequent stems, prefixes and suffixes as pieces;
//   4. it stops when the vocabulary has `size` tokens, or when no pair occurs `minFrequency` times (so the
//      result can be smaller than `size` on a small corpus).
import { basicTokenize } from './basic.js';
import { CONTINUATION, SPECIAL_TOKENS, Vocab } from './vocab.js';

export interface BuildVocabOptions {
  /** Upper bound on the number of tokens. */
  size: number;
  /** Keep case (a cased model); default false: lower-case and strip accents, like bert-base-uncased. */
  cased?: boolean;
  /** A pair must occur at least this often to be merged (default 2). */
  minFrequency?: number;
}

interface Word {
  pieces: string[];
  count: number;
}

const pairKey = (left: string, right: string): string => `${left} ${right}`; // pieces never contain spaces

function countWords(texts: Iterable<string>, cased: boolean): Map<string, number> {
  const counts = new Map<string, number>();
  for (const text of texts) {
    for (const word of basicTokenize(text, { lowercase: !cased })) counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  return counts;
}

function initialTokens(counts: Map<string, number>): string[] {
  const chars = new Set<string>();
  for (const word of counts.keys()) for (const ch of word) chars.add(ch);
  const sorted = [...chars].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
  return [...SPECIAL_TOKENS, ...sorted, ...sorted.map((ch) => CONTINUATION + ch)];
}

class PairStats {
  readonly counts = new Map<string, number>();
  readonly wordsWith = new Map<string, Set<number>>();

  update(word: Word, index: number, sign: 1 | -1): void {
    for (let i = 0; i + 1 < word.pieces.length; i++) {
      const key = pairKey(word.pieces[i]!, word.pieces[i + 1]!);
      const count = (this.counts.get(key) ?? 0) + sign * word.count;
      if (count > 0) this.counts.set(key, count);
      else this.counts.delete(key);
      if (sign === 1) {
        let set = this.wordsWith.get(key);
        if (!set) this.wordsWith.set(key, (set = new Set()));
        set.add(index);
      }
    }
  }

  best(): { key: string; count: number } | undefined {
    let best: { key: string; count: number } | undefined;
    for (const [key, count] of this.counts) {
      if (!best || count > best.count || (count === best.count && key < best.key)) best = { key, count };
    }
    return best;
  }
}

function mergePieces(pieces: string[], left: string, right: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < pieces.length; i++) {
    if (pieces[i] === left && pieces[i + 1] === right) {
      out.push(left + right.slice(CONTINUATION.length));
      i++;
    } else {
      out.push(pieces[i]!);
    }
  }
  return out;
}

export function buildVocab(texts: Iterable<string>, options: BuildVocabOptions): Vocab {
  const cased = options.cased ?? false;
  const minFrequency = options.minFrequency ?? 2;
  const counts = countWords(texts, cased);
  const tokens = initialTokens(counts);
  if (options.size < tokens.length) {
    throw new Error(
      `vocabulary size ${options.size} is too small: the special tokens and the corpus' characters (with ## forms) need ${tokens.length}`,
    );
  }
  const known = new Set(tokens);
  const words: Word[] = [...counts].map(([word, count]) => ({
    pieces: [...word].map((ch, i) => (i === 0 ? ch : CONTINUATION + ch)),
    count,
  }));
  const stats = new PairStats();
  words.forEach((word, i) => stats.update(word, i, 1));
  while (tokens.length < options.size) {
    const best = stats.best();
    if (!best || best.count < minFrequency) break;
    const [left, right] = best.key.split(' ') as [string, string];
    for (const index of stats.wordsWith.get(best.key)!) {
      const word = words[index]!;
      stats.update(word, index, -1);
      word.pieces = mergePieces(word.pieces, left, right);
      stats.update(word, index, 1);
    }
    stats.wordsWith.delete(best.key);
    const merged = left + right.slice(CONTINUATION.length);
    if (!known.has(merged)) {
      known.add(merged);
      tokens.push(merged);
    }
  }
  return new Vocab(tokens, cased ? '<built cased vocabulary>' : '<built uncased vocabulary>');
}
