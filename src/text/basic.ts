// Basic (pre-WordPiece) tokenisation, step for step as Hugging Face's Python `BertTokenizer`
// (transformers 4.x, `BasicTokenizer.tokenize` plus the lower-casing done in `PreTrainedTokenizer.tokenize`):
//   1. lower-case code point by code point (HF lower-cases with a regex that matches one character at a
//      time, so a word-final capital sigma becomes σ, not the contextual ς that String.toLowerCase gives);
//   2. drop U+0000, U+FFFD and control characters (Unicode category C*, except \t \n \r), and turn
//      whitespace (\t \n \r space, category Zs) into a space;
//   3. put spaces around CJK ideographs;
//   4. NFC-normalise, split on whitespace (Python's str.split set);
//   5. strip accents (NFD, drop Mn marks) when asked (by default: when lower-casing);
//   6. split every punctuation character (ASCII 33-47, 58-64, 91-96, 123-126, category P*) off as a token.
// Splitting out special tokens ([CLS] ...) happens before this, in the tokenizer.

export interface BasicOptions {
  /** Lower-case the text (an "uncased" model). */
  lowercase: boolean;
  /** Strip accents; HF's default (undefined) strips exactly when lower-casing. */
  stripAccents?: boolean;
}

const CONTROL = /\p{C}/u;
const ZS = /\p{Zs}/u;
const PUNCT_CATEGORY = /\p{P}/u;
const MN = /\p{Mn}/gu;
// Python's str.split() separators (str.isspace): what may still separate words after cleaning.
// biome-ignore lint/suspicious/noControlCharactersInRegex: \x1c-\x1f are separators to Python's str.isspace
const PY_WHITESPACE = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;

export function isControl(ch: string): boolean {
  return ch !== '\t' && ch !== '\n' && ch !== '\r' && CONTROL.test(ch);
}

export function isWhitespace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ZS.test(ch);
}

export function isPunctuation(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126))
    return true;
  return PUNCT_CATEGORY.test(ch);
}

/** The CJK Unified Ideograph blocks HF treats as one-character words (not Hangul, Hiragana or Katakana). */
export function isCjkIdeograph(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/** Lower-cases each code point on its own, as HF's per-character regex substitution does. */
export function lowercasePerCodePoint(text: string): string {
  let out = '';
  for (const ch of text) out += ch.toLowerCase();
  return out;
}

function cleanAndSpaceCjk(text: string): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp === 0 || cp === 0xfffd || isControl(ch)) continue;
    if (isWhitespace(ch)) out += ' ';
    else if (isCjkIdeograph(cp)) out += ` ${ch} `;
    else out += ch;
  }
  return out;
}

export function stripAccents(text: string): string {
  return text.normalize('NFD').replace(MN, '');
}

function splitPunctuation(word: string): string[] {
  const pieces: string[] = [];
  let current = '';
  for (const ch of word) {
    if (isPunctuation(ch)) {
      if (current) pieces.push(current);
      pieces.push(ch);
      current = '';
    } else {
      current += ch;
    }
  }
  if (current) pieces.push(current);
  return pieces;
}

/** Splits text (containing no special tokens) into the words WordPiece then segments. */
export function basicTokenize(text: string, options: BasicOptions): string[] {
  const strip = options.stripAccents ?? options.lowercase;
  const prepared = cleanAndSpaceCjk(options.lowercase ? lowercasePerCodePoint(text) : text).normalize('NFC');
  const words: string[] = [];
  for (const word of prepared.split(PY_WHITESPACE)) {
    if (!word) continue;
    // A word of combining marks alone vanishes here (no pieces), as in HF.
    words.push(...splitPunctuation(strip ? stripAccents(word) : word));
  }
  return words;
}
