import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildVocab } from '../src/text/build-vocab.js';
import { BertTokenizer } from '../src/text/tokenizer.js';
import { loadVocab, parseVocabTxt, saveVocab, Vocab } from '../src/text/vocab.js';

const dir = mkdtempSync(join(tmpdir(), 'medtrim-vocab-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

describe('loading vocabularies', () => {
  it('reads vocab.txt with id = line index (LF or CRLF, final newline optional)', () => {
    const vocab = loadVocab(file('v.txt', '[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n##s\n')).vocab;
    expect(vocab.tokens).toEqual(['[PAD]', '[UNK]', '[CLS]', '[SEP]', 'hello', '##s']);
    expect(parseVocabTxt('[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\nx', 'crlf').tokens).toEqual([
      '[PAD]',
      '[UNK]',
      '[CLS]',
      '[SEP]',
      'x',
    ]);
    expect(new BertTokenizer(vocab).encode('Hellos').inputIds).toEqual([2, 4, 5, 3]);
  });

  it('names the file and the problem', () => {
    expect(() => loadVocab(join(dir, 'missing.txt'))).toThrow(
      `${join(dir, 'missing.txt')}: cannot read vocabulary (ENOENT)`,
    );
    expect(() => loadVocab(file('empty.txt', '\n'))).toThrow(/empty\.txt: vocabulary file is empty/);
    expect(() => loadVocab(file('nounk.txt', '[PAD]\n[CLS]\n[SEP]\na\n'))).toThrow(
      /nounk\.txt: vocabulary has no \[UNK\] token/,
    );
    expect(() => loadVocab(file('dup.txt', '[PAD]\n[UNK]\n[CLS]\n[SEP]\na\na\n'))).toThrow(
      /dup\.txt: token "a" appears twice \(ids 4 and 5\)/,
    );
  });

  it('takes vocab and normaliser flags from a tokenizer.json', () => {
    const json = {
      added_tokens: [{ id: 5, content: '[MASK]', special: true }],
      normalizer: {
        type: 'BertNormalizer',
        lowercase: false,
        strip_accents: null,
        clean_text: true,
        handle_chinese_chars: true,
      },
      model: {
        type: 'WordPiece',
        unk_token: '[UNK]',
        continuing_subword_prefix: '##',
        max_input_chars_per_word: 7,
        vocab: { '[PAD]': 0, '[UNK]': 1, '[CLS]': 2, '[SEP]': 3, Ab: 4 },
      },
    };
    const loaded = loadVocab(file('tokenizer.json', JSON.stringify(json)));
    expect(loaded.vocab.tokens).toEqual(['[PAD]', '[UNK]', '[CLS]', '[SEP]', 'Ab', '[MASK]']);
    expect(loaded).toMatchObject({ lowercase: false, stripAccents: undefined, maxInputCharsPerWord: 7 });
    const tokenizer = BertTokenizer.fromFile(join(dir, 'tokenizer.json'));
    expect(tokenizer.tokenize('Ab ab [MASK] AbAbAbAb')).toEqual(['Ab', '[UNK]', '[MASK]', '[UNK]']);
    expect(BertTokenizer.fromFile(join(dir, 'tokenizer.json'), { lowercase: true }).lowercase).toBe(true);
  });

  it('rejects tokenizer.json files it cannot honour', () => {
    const model = (extra: object) =>
      JSON.stringify({
        model: { type: 'WordPiece', vocab: { '[PAD]': 0, '[UNK]': 1, '[CLS]': 2, '[SEP]': 3 }, ...extra },
      });
    expect(() => loadVocab(file('bad.json', '{"model":'))).toThrow(/bad\.json: not valid JSON/);
    expect(() => loadVocab(file('bpe.json', model({ type: 'BPE' })))).toThrow(
      /bpe\.json: model type "BPE" is not supported/,
    );
    expect(() =>
      loadVocab(file('gap.json', model({ vocab: { '[PAD]': 0, '[UNK]': 1, '[CLS]': 2, '[SEP]': 4 } }))),
    ).toThrow(/gap\.json: ids are not contiguous: token "\[SEP\]" has id 4 but there are 4 tokens/);
    expect(() =>
      loadVocab(file('huge.json', model({ vocab: { '[PAD]': 0, '[UNK]': 1, '[CLS]': 2, '[SEP]': 1e9 } }))),
    ).toThrow(/huge\.json: ids are not contiguous/);
    expect(() =>
      loadVocab(file('twice.json', model({ vocab: { '[PAD]': 0, '[UNK]': 1, '[CLS]': 1, '[SEP]': 3 } }))),
    ).toThrow(/twice\.json: id 1 is given to both "\[UNK\]" and "\[CLS\]"/);
    expect(() => loadVocab(file('novocab.json', '{"model": {"type": "WordPiece"}}'))).toThrow(
      /novocab\.json: model\.vocab is missing/,
    );
    expect(() =>
      loadVocab(
        file('norm.json', JSON.stringify({ normalizer: { type: 'NFKC' }, model: JSON.parse(model({})).model })),
      ),
    ).toThrow(/norm\.json: normalizer type "NFKC" is not supported/);
  });
});

describe('buildVocab', () => {
  const corpus = ['low low low lower', 'Newest newest'];
  const initial = [
    ...SPECIALS,
    'e',
    'l',
    'n',
    'o',
    'r',
    's',
    't',
    'w',
    '##e',
    '##l',
    '##n',
    '##o',
    '##r',
    '##s',
    '##t',
    '##w',
  ];

  it('starts with special tokens and every character, then merges the most frequent pairs (hand-computed)', () => {
    // Pair counts: (##o,##w)=4 and (l,##o)=4 tie -> "##o ##w" sorts first; then (l,##ow)=4; then the
    // newest pairs (count 2) in key order: ##e+##s, ##e+##w, ##es+##t, ##ew+##est, n+##ewest.
    expect(buildVocab(corpus, { size: 100 }).tokens).toEqual([
      ...initial,
      '##ow',
      'low',
      '##es',
      '##ew',
      '##est',
      '##ewest',
      'newest',
    ]);
    expect(buildVocab(corpus, { size: 24 }).tokens).toEqual([...initial, '##ow', 'low', '##es']);
  });

  it('is deterministic and independent of corpus order', () => {
    expect(buildVocab([...corpus].reverse(), { size: 100 }).tokens).toEqual(buildVocab(corpus, { size: 100 }).tokens);
  });

  it('gives a vocabulary that tokenizes its corpus characters without [UNK]', () => {
    const tokenizer = new BertTokenizer(buildVocab(corpus, { size: 100 }));
    expect(tokenizer.tokenize('lowest newer')).toEqual(['low', '##est', 'n', '##ew', '##e', '##r']);
  });

  it('keeps case when asked', () => {
    const tokens = buildVocab(['Low LOW low'], { size: 100, cased: true }).tokens;
    expect(tokens.slice(5, 10)).toEqual(['L', 'O', 'W', 'l', 'o']);
  });

  it('refuses a size below the special tokens plus characters', () => {
    expect(() => buildVocab(corpus, { size: 20 })).toThrow(/size 20 is too small: .* need 21/);
  });

  it('saves as vocab.txt (atomically) and loads back identically', async () => {
    const vocab = buildVocab(corpus, { size: 100 });
    const path = join(dir, 'built-vocab.txt');
    await saveVocab(path, vocab);
    expect(readFileSync(path, 'utf8').split('\n').slice(0, 6)).toEqual([...SPECIALS, 'e']);
    expect(loadVocab(path).vocab.tokens).toEqual(vocab.tokens);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    await expect(saveVocab(join(dir, 'nl.txt'), new Vocab([...SPECIALS, 'a\nb'], 'x'))).rejects.toThrow(
      /token 5 contains a line break/,
    );
  });
});
