// A BERT WordPiece tokenizer producing the same ids as Hugging Face's Python `BertTokenizer`
// (see basic.ts for the exact normalisation steps and wordpiece.ts for the segmentation).
import { basicTokenize, type BasicOptions } from './basic.js';
import { CLS, defaultVocab, loadVocab, PAD, SEP, SPECIAL_TOKENS, UNK, type Vocab } from './vocab.js';
import { DEFAULT_MAX_INPUT_CHARS_PER_WORD, wordpiece } from './wordpiece.js';

export interface TokenizerOptions extends Partial<BasicOptions> {
  /** Words longer than this many code points become [UNK] (HF: 100). */
  maxInputCharsPerWord?: number;
  /** Default `maxLength` of encode (bert-base: 512 positions). */
  modelMaxLength?: number;
}

export type Padding = 'max_length' | 'longest' | false;

export interface EncodeOptions {
  /** Length including [CLS] and [SEP]; defaults to the tokenizer's modelMaxLength. */
  maxLength?: number;
  /** 'max_length' pads to maxLength; 'longest' pads a batch to its longest row; false never pads. */
  padding?: Padding;
  /** Cut the tokens (not [CLS]/[SEP]) so the result fits maxLength. Default true, so a fixed-size model never overflows. */
  truncation?: boolean;
}

export interface Encoding {
  inputIds: number[];
  attentionMask: number[];
  tokenTypeIds: number[];
}

/** Row-major [batchSize, seqLen] arrays, ready for upload to the GPU. */
export interface BatchEncoding {
  inputIds: Int32Array;
  attentionMask: Int32Array;
  tokenTypeIds: Int32Array;
  batchSize: number;
  seqLen: number;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// The post-decoding clean-up HF applies by default (`clean_up_tokenization_spaces`).
function cleanUpTokenization(text: string): string {
  return text
    .replace(/ \./g, '.')
    .replace(/ \?/g, '?')
    .replace(/ !/g, '!')
    .replace(/ ,/g, ',')
    .replace(/ ' /g, "'")
    .replace(/ n't/g, "n't")
    .replace(/ 'm/g, "'m")
    .replace(/ 's/g, "'s")
    .replace(/ 've/g, "'ve")
    .replace(/ 're/g, "'re");
}

export class BertTokenizer {
  readonly lowercase: boolean;
  readonly stripAccents: boolean | undefined;
  readonly maxInputCharsPerWord: number;
  readonly modelMaxLength: number;
  private readonly specials: Set<string>;
  private readonly specialSplitter: RegExp;

  constructor(
    readonly vocab: Vocab,
    options: TokenizerOptions = {},
  ) {
    this.lowercase = options.lowercase ?? true;
    this.stripAccents = options.stripAccents;
    this.maxInputCharsPerWord = options.maxInputCharsPerWord ?? DEFAULT_MAX_INPUT_CHARS_PER_WORD;
    this.modelMaxLength = options.modelMaxLength ?? 512;
    this.specials = new Set(SPECIAL_TOKENS.filter((t) => vocab.id(t) !== undefined));
    // Longest first, so the alternation finds leftmost-longest matches like HF's added-token trie.
    const alternatives = [...this.specials].sort((a, b) => b.length - a.length).map(escapeRegExp);
    this.specialSplitter = new RegExp(`(${alternatives.join('|')})`);
  }

  /** bert-base-uncased, offline. */
  static default(options: TokenizerOptions = {}): BertTokenizer {
    return new BertTokenizer(defaultVocab(), options);
  }

  /** From vocab.txt or tokenizer.json; the file's normaliser flags apply unless `options` overrides them. */
  static fromFile(path: string, options: TokenizerOptions = {}): BertTokenizer {
    const { vocab, ...fileOptions } = loadVocab(path);
    return new BertTokenizer(vocab, { ...fileOptions, ...options });
  }

  /** Tokens of `text`, without [CLS]/[SEP]. Special tokens written in the text are kept whole. */
  tokenize(text: string): string[] {
    const basic = { lowercase: this.lowercase, stripAccents: this.stripAccents };
    const tokens: string[] = [];
    // split() with a capturing group alternates: plain text, special token, plain text, ...
    text.split(this.specialSplitter).forEach((chunk, i) => {
      if (i % 2 === 1) tokens.push(chunk);
      else
        for (const word of basicTokenize(chunk, basic))
          tokens.push(...wordpiece(word, this.vocab, this.maxInputCharsPerWord));
    });
    return tokens;
  }

  convertTokensToIds(tokens: readonly string[]): number[] {
    const unk = this.vocab.specialId(UNK);
    return tokens.map((t) => this.vocab.id(t) ?? unk);
  }

  convertIdsToTokens(ids: readonly number[]): string[] {
    return ids.map((id) => {
      const token = this.vocab.tokens[id];
      if (token === undefined)
        throw new Error(`token id ${id} is outside the vocabulary ${this.vocab.source} (size ${this.vocab.size})`);
      return token;
    });
  }

  /** [CLS] tokens [SEP], truncated and padded as asked. */
  encode(text: string, options: EncodeOptions = {}): Encoding {
    const maxLength = options.maxLength ?? this.modelMaxLength;
    const truncation = options.truncation ?? true;
    if (truncation && maxLength < 2) throw new Error(`maxLength ${maxLength} leaves no room for [CLS] and [SEP]`);
    let body = this.convertTokensToIds(this.tokenize(text));
    if (truncation && body.length > maxLength - 2) body = body.slice(0, maxLength - 2);
    const inputIds = [this.vocab.specialId(CLS), ...body, this.vocab.specialId(SEP)];
    const attentionMask = inputIds.map(() => 1);
    if (options.padding === 'max_length' && inputIds.length < maxLength) {
      const padCount = maxLength - inputIds.length;
      inputIds.push(...new Array<number>(padCount).fill(this.vocab.specialId(PAD)));
      attentionMask.push(...new Array<number>(padCount).fill(0));
    }
    return { inputIds, attentionMask, tokenTypeIds: inputIds.map(() => 0) };
  }

  /** Encodes texts into [batch, seqLen] Int32Arrays; rows are padded to `maxLength` or to the longest row. */
  encodeBatch(texts: readonly string[], options: EncodeOptions = {}): BatchEncoding {
    const padding = options.padding ?? 'longest';
    if (padding === false)
      throw new Error("encodeBatch needs padding 'max_length' or 'longest' to form a rectangular batch");
    const maxLength = options.maxLength ?? this.modelMaxLength;
    const rows = texts.map((text) => this.encode(text, { ...options, maxLength, padding: false }));
    const seqLen = padding === 'max_length' ? maxLength : Math.max(0, ...rows.map((r) => r.inputIds.length));
    const longRow = rows.findIndex((r) => r.inputIds.length > seqLen);
    if (longRow >= 0)
      throw new Error(
        `text ${longRow} has ${rows[longRow]!.inputIds.length} tokens, more than maxLength ${seqLen} (truncation is off)`,
      );
    const batch: BatchEncoding = {
      inputIds: new Int32Array(texts.length * seqLen).fill(this.vocab.specialId(PAD)),
      attentionMask: new Int32Array(texts.length * seqLen),
      tokenTypeIds: new Int32Array(texts.length * seqLen),
      batchSize: texts.length,
      seqLen,
    };
    rows.forEach((row, i) => {
      batch.inputIds.set(row.inputIds, i * seqLen);
      batch.attentionMask.set(row.attentionMask, i * seqLen);
    });
    return batch;
  }

  /** Text from ids, as HF's decode: pieces joined, "##" glued, spaces before punctuation removed. */
  decode(
    ids: readonly number[],
    options: { skipSpecialTokens?: boolean; cleanUpTokenizationSpaces?: boolean } = {},
  ): string {
    let tokens = this.convertIdsToTokens(ids);
    if (options.skipSpecialTokens) tokens = tokens.filter((t) => !this.specials.has(t));
    const text = tokens.join(' ').replace(/ ##/g, '').trim();
    return (options.cleanUpTokenizationSpaces ?? true) ? cleanUpTokenization(text) : text;
  }
}
