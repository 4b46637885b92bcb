// Seeded mutation fuzzing of every parser that reads user files: Open-i XML, CSV, JSONL, tar/gzip,
// safetensors headers, PNG/JPEG headers and vocab.txt. Each input is a valid seed file mutated a few
// times (bit flips, boundary bytes and integers, format tokens, deletions, truncation, and a slice
// repeated up to thousands of times, the shape that exposes quadratic parsing). An input passes when
// the parser returns output bounded by the input's size, or throws a plain Error with a one-line
// message (a TypeError, RangeError etc. is a crash), within the time limit.
// Used by test/fuzz.test.ts (a few hundred inputs per parser) and scripts/fuzz.ts (the long run).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { decodeImage } from '../../src/data/image.js';
import { serializeSafetensors, parseSafetensors } from '../../src/io/safetensors-format.js';
import { readTar, streamTar } from '../../src/io/tar.js';
import { CsvParser, parseCsv } from '../../src/ober/csv.js';
import { readReports } from '../../src/ober/inputs.js';
import { recognize } from '../../src/ober/recognize.js';
import { BertTokenizer } from '../../src/text/tokenizer.js';
import { parseVocabTxt, SPECIAL_TOKENS } from '../../src/text/vocab.js';
import { pngOf } from './png.js';
import { openIXml, tarOf } from './tar.js';

/** mulberry32: small, fast and good enough to pick mutations. */
export function rngFor(...keys: number[]): () => number {
  let a = 0x9e3779b9;
  for (const k of keys) a = Math.imul(a ^ k, 0x85ebca6b) ^ (a >>> 13);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hashName(name: string): number {
  let h = 2166136261;
  for (const c of name) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return h >>> 0;
}

const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

export interface FuzzTarget {
  name: string;
  seeds: Uint8Array[];
  /** Byte strings that mean something to the format, spliced in by mutations. */
  tokens: string[];
  /** Parses one input (files go under `scratch`); returns the size of what it produced and whether any of it was refused. */
  run(input: Uint8Array, scratch: string): Promise<Outcome> | Outcome;
  /** The most output an input of n bytes may produce (the parser's caps included). */
  maxOutput(n: number): number;
}

export interface Outcome {
  size: number;
  /** Some of the input was refused with a one-line error (an error record, not a throw). */
  refused: boolean;
}

/** Reads every report of a file through `medtrim ober`'s reader and recognizer; the output is their text and errors. */
async function reportsOutput(path: string): Promise<Outcome> {
  const outcome = { size: 0, refused: false };
  for await (const item of readReports(path)) {
    if ('error' in item) {
      if (item.error.includes('\n') || item.error.trim() === '')
        throw new TypeError(`error record is not one line: ${JSON.stringify(item.error)}`);
      outcome.size += item.error.length;
      outcome.refused = true;
    } else outcome.size += item.text.length + JSON.stringify(recognize(item.text).labels).length;
  }
  return outcome;
}

/**
 * The input with its safetensors length prefix set to where its JSON header object ends, so mutations
 * inside the header reach the header's validation rather than only the length check.
 */
function withHeaderLengthFixed(input: Uint8Array): Uint8Array {
  let depth = 0;
  let inString = false;
  for (let i = 8; i < input.length; i++) {
    const c = input[i];
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b) depth++;
    else if (c === 0x7d && --depth === 0) {
      const out = Uint8Array.from(input);
      new DataView(out.buffer).setBigUint64(0, BigInt(i + 1 - 8), true);
      return out;
    }
  }
  return input;
}

const xmlTokens = [
  '<eCitation>',
  '</eCitation>',
  '<uId id="',
  '"/>',
  '<AbstractText Label="FINDINGS">',
  '<AbstractText Label="IMPRESSION">',
  '</AbstractText>',
  '<major>',
  '</major>',
  '&amp;',
  '&#x1F600;',
  '&#99999999;',
  '<',
  '>',
  '"',
  '\u0000',
  'FINDINGS:',
  'no ',
  'left ',
  'effusion',
];
const reportWords = [
  'Small left pleural effusion.',
  'No pneumothorax.',
  'Mild cardiomegaly, possible bibasilar atelectasis.',
  'FINDINGS:',
  'IMPRESSION:',
  'no',
  'not',
  'left',
  'right',
  '\n',
  '\t',
  '\u00e9',
  '\ud83d\ude00',
  '\ufffd',
];

/** The fuzz targets, one per parser; `imagePixelLimit` keeps decoded images small so the run stays fast. */
export function fuzzTargets(imagePixelLimit = 1_000_000): FuzzTarget[] {
  const xmlSeeds = [
    openIXml('CXR1', 'Small left pleural effusion. No pneumothorax.', 'Effusion.'),
    openIXml('CXR2', 'Heart size is normal &amp; lungs are clear.', 'No acute disease.'),
    '<eCitation><uId id="R"/><AbstractText Label="FINDINGS"/><AbstractText Label="IMPRESSION">Mild edema.</AbstractText><major>Edema/mild</major></eCitation>',
  ].map(utf8);
  const csvSeeds = [
    'id,report\nA,"Bibasilar atelectasis, no effusion."\nB,"Line one.\nLine two: ""quoted"" edema."\nC,\n',
    'image,text,split\r\nx.png,Mild cardiomegaly.,train\r\ny.png,"No pneumothorax, no effusion",test\r\n',
    'report\nSmall left pleural effusion.\n"unterminated\n',
  ].map(utf8);
  const jsonlSeeds = [
    '{"id":"j1","text":"Possible pneumonia."}\n{not json}\n{"id":"j3"}\n',
    '{"id":7,"text":"Small left pleural effusion.\\nNo pneumothorax."}\r\n\r\n{"text":"Mild cardiomegaly \\u00e9"}\n',
    '[1,2]\nnull\n"text"\n{"id":null,"text":42}\n',
  ].map(utf8);
  const tar = tarOf({
    'ecgen-radiology/1.xml': openIXml('CXR1', 'Right upper lobe nodule.', 'Nodule.'),
    'ecgen-radiology/2.xml': openIXml('CXR2', 'Normal.', 'Normal.'),
  });
  const longName = `ecgen-radiology/${'nested/'.repeat(20)}3.xml`;
  const tarSeeds = [
    tar,
    gzipSync(tar),
    tarOf({ [longName]: openIXml('CXR3', 'Edema.', 'Edema.') }, 'pax'),
    gzipSync(tarOf({ [longName]: 'x' }, 'gnu-longname')),
  ];
  const safetensorsSeeds = [
    Buffer.concat(
      serializeSafetensors(
        {
          w: { dtype: 'F32', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
          b: { dtype: 'F16', shape: [2], data: new Float32Array([0.5, -1]) },
        },
        { step: '3' },
      ),
    ),
    Buffer.concat(serializeSafetensors({ e: { dtype: 'BF16', shape: [0], data: new Float32Array(0) } })),
    (() => {
      const header = utf8(
        JSON.stringify({
          i: { dtype: 'I64', shape: [2], data_offsets: [0, 16] },
          u: { dtype: 'U8', shape: [3], data_offsets: [16, 19] },
        }),
      );
      const out = Buffer.alloc(8 + header.length + 19);
      out.writeBigUInt64LE(BigInt(header.length), 0);
      out.set(header, 8);
      out.writeBigInt64LE(-5n, 8 + header.length);
      return out;
    })(),
  ];
  const gray = (w: number, h: number) =>
    Uint8Array.from({ length: (w + 1) * h }, (_, i) => (i % (w + 1) === 0 ? i % 5 : (i * 37) & 0xff));
  const imageSeeds = [
    pngOf({ width: 8, height: 6, colorType: 0, scanlines: gray(8, 6) }),
    pngOf({
      width: 3,
      height: 2,
      colorType: 3,
      palette: [
        [0, 0, 0],
        [255, 128, 0],
      ],
      scanlines: Uint8Array.from([0, 0, 1, 0, 0, 1, 1, 0]),
    }),
    pngOf({ width: 4, height: 4, colorType: 6, depth: 16, scanlines: new Uint8Array(4 * (1 + 4 * 8)) }),
    jpeg.encode({ data: new Uint8Array(16 * 8 * 4).map((_, i) => (i * 7) & 0xff), width: 16, height: 8 }, 80).data,
  ];
  const vocabSeeds = [
    [...SPECIAL_TOKENS, 'small', 'left', '##s', 'effusion', 'pleural', '##al', 'no'].join('\n') + '\n',
    [...SPECIAL_TOKENS, 'a', 'b', '##c', '\u00e9', '##\ud83d\ude00'].join('\r\n'),
  ].map(utf8);

  return [
    {
      name: 'openi-xml',
      seeds: xmlSeeds,
      tokens: xmlTokens,
      async run(input, scratch) {
        const path = join(scratch, 'report.xml');
        writeFileSync(path, input);
        return reportsOutput(path);
      },
      maxOutput: (n) => 4 * n + 4096,
    },
    {
      name: 'csv',
      seeds: csvSeeds,
      tokens: [',', '"', '""', '\n', '\r\n', '\r', 'id', 'report', ...reportWords],
      async run(input, scratch) {
        // The incremental parser must agree with the whole-text parser wherever the chunks are cut.
        const whole = parseCsv(text(input));
        const parser = new CsvParser();
        const rows = [];
        const s = text(input);
        for (let at = 0, step = 1; at < s.length; at += step, step = step * 3 + 1)
          rows.push(...parser.push(s.slice(at, at + step)));
        rows.push(...parser.end());
        if (JSON.stringify(rows) !== JSON.stringify(whole.rows) || parser.error !== whole.error)
          throw new TypeError('chunked CSV parsing differs from parsing the whole text');
        const path = join(scratch, 'reports.csv');
        writeFileSync(path, input);
        return reportsOutput(path);
      },
      maxOutput: (n) => 64 * n + 4096,
    },
    {
      name: 'jsonl',
      seeds: jsonlSeeds,
      tokens: [
        '{',
        '}',
        '"id":',
        '"text":',
        '"',
        '\\',
        '\\u',
        '\\ud800',
        '\n',
        '\r\n',
        ':',
        ',',
        'null',
        ...reportWords,
      ],
      async run(input, scratch) {
        const path = join(scratch, 'reports.jsonl');
        writeFileSync(path, input);
        return reportsOutput(path);
      },
      maxOutput: (n) => 64 * n + 4096,
    },
    {
      name: 'tar-gzip',
      seeds: tarSeeds,
      tokens: [
        'ustar\u000000',
        'ustar  \u0000',
        '0000644\u0000',
        '77777777777\u0000',
        '\u0080\u0000\u0000\u0000',
        'x',
        'L',
        '5',
        'g',
        '30 path=',
        ' size=',
        '\n',
        '.xml',
        '\u001f\u008b\u0008',
      ],
      async run(input, scratch) {
        const limit = 8 * 1024 * 1024;
        let size = 0;
        let refused = false;
        let syncEntries: string | undefined;
        try {
          const entries = readTar(Buffer.from(input), 'fuzz.tgz', limit);
          syncEntries = JSON.stringify(entries.map((e) => [e.name, e.data.length]));
          size += entries.reduce((s, e) => s + e.data.length, 0);
        } catch (err) {
          if (!isCleanError(err)) throw err;
          refused = true;
        }
        const path = join(scratch, 'reports.tgz');
        writeFileSync(path, input);
        const streamed: Array<[string, number]> = [];
        for await (const e of streamTar(path, limit, limit)) streamed.push([e.name, 'data' in e ? e.data.length : -1]);
        // Where both readers finish, they must find the same entries.
        if (syncEntries !== undefined && JSON.stringify(streamed) !== syncEntries)
          throw new TypeError('streamed tar entries differ from the whole-buffer reader');
        const reports = await reportsOutput(path);
        return { size: size + reports.size, refused: refused || reports.refused };
      },
      maxOutput: () => 3 * 8 * 1024 * 1024,
    },
    {
      name: 'safetensors-header',
      seeds: safetensorsSeeds,
      tokens: [
        '{',
        '}',
        '"dtype":',
        '"F32"',
        '"I64"',
        '"U8"',
        '"shape":',
        '[',
        ']',
        '"data_offsets":',
        '[0,',
        '9007199254740993',
        '-1',
        '1e308',
        '"__metadata__":',
        '{"a":1}',
        '\u0000',
        ' ',
      ],
      run(input) {
        let size = 0;
        let refused = false;
        for (const bytes of [input, withHeaderLengthFixed(input)]) {
          try {
            const { tensors, metadata } = parseSafetensors(bytes, 'fuzz.safetensors');
            size += JSON.stringify(metadata).length;
            for (const t of tensors.values()) size += t.data.byteLength;
          } catch (err) {
            if (!isCleanError(err)) throw err;
            // The unrepaired input nearly always fails the length check; count the repaired one's outcome.
            refused = bytes !== input;
          }
        }
        return { size, refused };
      },
      maxOutput: (n) => 4 * n + 4096,
    },
    {
      name: 'png-jpeg-header',
      seeds: imageSeeds,
      tokens: [
        'IHDR',
        'IDAT',
        'PLTE',
        'IEND',
        'tRNS',
        '\u00ff\u00c0',
        '\u00ff\u00c4',
        '\u00ff\u00da',
        '\u00ff\u00d9',
        '\u0000\u0000\u0000\u0000',
        '\u00ff\u00ff\u00ff\u00ff',
        '\u0000\u0000\u0075\u0030',
      ],
      run(input) {
        const img = decodeImage(input, imagePixelLimit);
        for (const v of img.data) if (!(v >= 0 && v <= 1)) throw new TypeError(`decoded pixel ${v} outside [0, 1]`);
        return { size: img.width * img.height, refused: false };
      },
      maxOutput: () => imagePixelLimit,
    },
    {
      name: 'vocab-txt',
      seeds: vocabSeeds,
      tokens: [
        '\n',
        '\r\n',
        '##',
        '[UNK]',
        '[CLS]',
        '[SEP]',
        '[PAD]',
        '[MASK]',
        ' ',
        '\u0000',
        '\u00e9',
        '\ud83d',
        'small',
        'left',
      ],
      run(input) {
        const vocab = parseVocabTxt(text(input), 'vocab.txt');
        const ids = new BertTokenizer(vocab).encode(
          'Small left pleural effusions, no pneumothorax \u00e9\ud83d\ude00.',
          { maxLength: 64 },
        ).inputIds;
        return { size: vocab.size + ids.length, refused: false };
      },
      maxOutput: (n) => n + 64,
    },
  ];
}

const interestingBytes = [
  0x00, 0xff, 0x7f, 0x80, 0x20, 0x0a, 0x0d, 0x22, 0x2c, 0x3c, 0x3e, 0x5c, 0x7b, 0x7d, 0x30, 0x37,
];
const interestingInts = [
  0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 30000, 1_000_000,
];

/** The `index`-th input for `target` under `seed`: a seed file with 1–6 mutations, at most `maxBytes` long. */
export function mutatedInput(target: FuzzTarget, seed: number, index: number, maxBytes: number): Uint8Array {
  const rng = rngFor(seed, hashName(target.name), index);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)];
  let b: Uint8Array = Uint8Array.from(pick(target.seeds));
  const mutations = 1 + Math.floor(rng() * 6);
  for (let m = 0; m < mutations; m++) {
    const at = Math.floor(rng() * (b.length + 1));
    const kind = Math.floor(rng() * 9);
    if (kind === 0 && b.length > 0) b[Math.min(at, b.length - 1)] ^= 1 << Math.floor(rng() * 8);
    else if (kind === 1 && b.length > 0) b[Math.min(at, b.length - 1)] = pick(interestingBytes);
    else if (kind === 2) {
      // Tokens of single-byte characters are raw bytes (JPEG markers, gzip magic); others UTF-8.
      const token = pick(target.tokens);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the whole Latin-1 range, control characters included
      b = splice(b, at, 0, /^[\x00-\xff]*$/.test(token) ? Buffer.from(token, 'latin1') : utf8(token));
    } else if (kind === 3) b = splice(b, at, 1 + Math.floor(rng() * 64), new Uint8Array(0));
    else if (kind === 4) {
      const length = 1 + Math.floor(rng() * 48);
      const slice = b.subarray(at, at + length);
      const times = Math.floor(rng() ** 3 * 4000);
      const repeated = new Uint8Array(Math.min(slice.length * times, maxBytes));
      for (let i = 0; i < repeated.length; i++) repeated[i] = slice[i % slice.length];
      b = splice(b, at, 0, repeated);
    } else if (kind === 5) b = b.subarray(0, at);
    else if (kind === 6 && b.length >= 4) {
      const value = pick(interestingInts);
      const pos = Math.min(at, b.length - 4);
      const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
      if (rng() < 0.5) view.setUint32(pos, value >>> 0, false);
      else view.setUint32(pos, value >>> 0, true);
    } else if (kind === 7) {
      const other = pick(target.seeds);
      const from = Math.floor(rng() * other.length);
      b = splice(b, at, Math.floor(rng() * 32), other.subarray(from, from + 1 + Math.floor(rng() * 128)));
    } else if (kind === 8) {
      const digits = utf8(String(pick(interestingInts) * (rng() < 0.2 ? -1 : 1)));
      b = splice(b, at, Math.floor(rng() * 4), digits);
    }
    if (b.length > maxBytes) b = b.subarray(0, maxBytes);
  }
  return b;
}

function splice(b: Uint8Array, at: number, remove: number, insert: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length - Math.min(remove, b.length - at) + insert.length);
  out.set(b.subarray(0, at), 0);
  out.set(insert, at);
  out.set(b.subarray(at + remove), at + insert.length);
  return out;
}

export interface FuzzFailure {
  target: string;
  index: number;
  problem: string;
  input: Uint8Array;
}

export interface FuzzSummary {
  target: string;
  inputs: number;
  /** Inputs refused (wholly or in part) with a clean one-line error. */
  refused: number;
  slowestMs: number;
  largestInput: number;
  failures: FuzzFailure[];
}

/** Whether `err` is a deliberate refusal: a plain Error whose message is one non-empty line. */
export function isCleanError(err: unknown): boolean {
  return err instanceof Error && err.constructor === Error && err.message.trim() !== '' && !err.message.includes('\n');
}

/** Runs `count` inputs (from `first`) of one target; `onInput` is told each index, and the summary so far, before it runs. */
export async function fuzzTarget(
  target: FuzzTarget,
  options: {
    seed: number;
    count: number;
    first?: number;
    maxBytes: number;
    timeLimitMs: number;
    scratch: string;
    onInput?: (index: number, soFar: FuzzSummary) => void;
  },
): Promise<FuzzSummary> {
  mkdirSync(options.scratch, { recursive: true });
  const summary: FuzzSummary = {
    target: target.name,
    inputs: 0,
    refused: 0,
    slowestMs: 0,
    largestInput: 0,
    failures: [],
  };
  const first = options.first ?? 0;
  for (let index = first; index < first + options.count; index++) {
    options.onInput?.(index, summary);
    const input = mutatedInput(target, options.seed, index, options.maxBytes);
    const start = performance.now();
    let problem: string | undefined;
    try {
      const { size, refused } = await target.run(input, options.scratch);
      if (refused) summary.refused++;
      if (!(size <= target.maxOutput(input.length)))
        problem = `output of ${size} for a ${input.length}-byte input (bound ${target.maxOutput(input.length)})`;
    } catch (err) {
      if (isCleanError(err)) summary.refused++;
      else
        problem = `crash: ${err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err)}`.slice(
          0,
          500,
        );
    }
    const ms = performance.now() - start;
    if (!problem && ms > options.timeLimitMs) problem = `took ${ms.toFixed(0)} ms (limit ${options.timeLimitMs} ms)`;
    if (problem) summary.failures.push({ target: target.name, index, problem, input });
    summary.inputs++;
    summary.slowestMs = Math.max(summary.slowestMs, ms);
    summary.largestInput = Math.max(summary.largestInput, input.length);
  }
  return summary;
}
