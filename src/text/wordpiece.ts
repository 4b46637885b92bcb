// WordPiece segmentation as HF's WordpieceTokenizer: greedy longest-match-first, continuation pieces carry
// "##", a word longer than `maxInputCharsPerWord` code points or without a complete segmentation becomes [UNK].
import { CONTINUATION, UNK, type Vocab } from './vocab.js';

export const DEFAULT_MAX_INPUT_CHARS_PER_WORD = 100;

export function wordpiece(
  word: string,
  vocab: Vocab,
  maxInputCharsPerWord = DEFAULT_MAX_INPUT_CHARS_PER_WORD,
): string[] {
  const chars = [...word];
  if (chars.length > maxInputCharsPerWord) return [UNK];
  const pieces: string[] = [];
  let start = 0;
  while (start < chars.length) {
    let end = Math.min(chars.length, start + vocab.maxPieceChars);
    let piece: string | undefined;
    for (; end > start; end--) {
      const candidate = (start > 0 ? CONTINUATION : '') + chars.slice(start, end).join('');
      if (vocab.id(candidate) !== undefined) {
        piece = candidate;
        break;
      }
    }
    if (piece === undefined) return [UNK];
    pieces.push(piece);
    start = end;
  }
  return pieces;
}
