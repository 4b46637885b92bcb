import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  bf16BitsToF32,
  f16BitsToF32,
  f32ToBf16Bits,
  f32ToF16Bits,
  parseSafetensors,
  readSafetensors,
  serializeSafetensors,
  writeSafetensors,
} from '../src/io/safetensors.js';

const dir = mkdtempSync(join(tmpdir(), 'medtrim-st-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Builds a file by hand (independently of the writer): length prefix, header JSON as given, data. */
function makeFile(header: unknown, data: number[] | Uint8Array, headerText = JSON.stringify(header)): Uint8Array {
  const json = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function bitsOf(value: number): number {
  return new Uint32Array(new Float32Array([value]).buffer)[0]!;
}
function floatOfBits(bits: number): number {
  return new Float32Array(new Uint32Array([bits]).buffer)[0]!;
}

describe('f32 -> f16 rounding (hand-computed bit patterns)', () => {
  const cases: [string, number, number][] = [
    ['zero', 0, 0x0000],
    ['negative zero', -0, 0x8000],
    ['one', 1, 0x3c00],
    ['minus two', -2, 0xc000],
    ['0.1 = 1.6*2^-4, mantissa 614.4 -> 614', 0.1, 0x2e66],
    ['largest normal 65504', 65504, 0x7bff],
    ['65519 rounds down to 65504', 65519, 0x7bff],
    ['65520 is a tie with an odd mantissa -> rounds up to inf', 65520, 0x7c00],
    ['overflow', 1e6, 0x7c00],
    ['+inf', Infinity, 0x7c00],
    ['-inf', -Infinity, 0xfc00],
    ['1 + 2^-11: tie -> even (down)', 1 + 2 ** -11, 0x3c00],
    ['1 + 3*2^-11: tie -> even (up)', 1 + 3 * 2 ** -11, 0x3c02],
    ['1 + 2^-11 + 2^-20: above half -> up', 1 + 2 ** -11 + 2 ** -20, 0x3c01],
    ['smallest normal 2^-14', 2 ** -14, 0x0400],
    ['largest subnormal 1023*2^-24', 1023 * 2 ** -24, 0x03ff],
    ['1023.5 units of 2^-24: tie -> even rolls into the smallest normal', 1023.5 * 2 ** -24, 0x0400],
    ['smallest subnormal 2^-24', 2 ** -24, 0x0001],
    ['half the smallest subnormal: tie -> even zero', 2 ** -25, 0x0000],
    ['0.75 units -> 1', 3 * 2 ** -26, 0x0001],
    ['1.5 units: tie -> 2', 3 * 2 ** -25, 0x0002],
    ['2.5 units: tie -> 2', 5 * 2 ** -25, 0x0002],
    ['-1.5 units: tie -> -2', -3 * 2 ** -25, 0x8002],
    ['far below the subnormals', 2 ** -30, 0x0000],
    ['f32 subnormal', floatOfBits(1), 0x0000],
  ];
  it.each(cases)('%s', (_name, value, bits) => {
    expect(f32ToF16Bits(value)).toBe(bits);
  });
  it('keeps NaN a NaN (quiet)', () => {
    expect(f32ToF16Bits(NaN)).toBe(0x7e00);
    expect(f32ToF16Bits(floatOfBits(0xffc00000))).toBe(0xfe00);
  });
  it('decodes f16 bits exactly', () => {
    expect(f16BitsToF32(0x0001)).toBe(2 ** -24);
    expect(f16BitsToF32(0x03ff)).toBe(1023 * 2 ** -24);
    expect(f16BitsToF32(0x3555)).toBe(0.333251953125);
    expect(f16BitsToF32(0xc000)).toBe(-2);
    expect(f16BitsToF32(0x7bff)).toBe(65504);
    expect(f16BitsToF32(0xfc00)).toBe(-Infinity);
    expect(Object.is(f16BitsToF32(0x8000), -0)).toBe(true);
    expect(f16BitsToF32(0x7e00)).toBeNaN();
  });
  it('round-trips every finite f16 value', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      if ((bits & 0x7c00) === 0x7c00) continue;
      expect(f32ToF16Bits(f16BitsToF32(bits))).toBe(bits);
    }
  });
});

describe('f32 -> bf16 rounding (hand-computed bit patterns)', () => {
  const cases: [string, number, number][] = [
    ['one', 1, 0x3f80],
    ['minus one', -1, 0xbf80],
    ['pi 0x40490fdb: low half below 0x8000 -> down', floatOfBits(0x40490fdb), 0x4049],
    ['1 + 2^-8: tie, even -> down', 1 + 2 ** -8, 0x3f80],
    ['1 + 3*2^-8: tie, odd -> up', 1 + 3 * 2 ** -8, 0x3f82],
    ['1 + 2^-8 + 2^-20: above half -> up', 1 + 2 ** -8 + 2 ** -20, 0x3f81],
    ['largest f32 rounds to inf', floatOfBits(0x7f7fffff), 0x7f80],
    ['+inf', Infinity, 0x7f80],
    ['-inf', -Infinity, 0xff80],
    ['subnormal tie -> even zero', floatOfBits(0x00008000), 0x0000],
    ['subnormal tie -> even up', floatOfBits(0x00018000), 0x0002],
    ['negative zero', -0, 0x8000],
  ];
  it.each(cases)('%s', (_name, value, bits) => {
    expect(f32ToBf16Bits(value)).toBe(bits);
  });
  it('keeps NaN a NaN', () => {
    expect(f32ToBf16Bits(NaN)).toBe(0x7fc0);
    expect(f32ToBf16Bits(floatOfBits(0xffc00000))).toBe(0xffc0);
  });
  it('decodes bf16 exactly', () => {
    expect(bf16BitsToF32(0x3f80)).toBe(1);
    expect(bf16BitsToF32(0x4049)).toBe(floatOfBits(0x40490000));
    expect(bf16BitsToF32(0xff80)).toBe(-Infinity);
  });
});

describe('safetensors read', () => {
  const f16Data = [0x00, 0x3c, 0x00, 0xc0]; // 1, -2
  const bf16Data = [0x80, 0x3f, 0x49, 0x40]; // 1, 0x4049....
  const f32Data = [...new Uint8Array(new Float32Array([0.5, -3]).buffer)];
  const i64Data = [...new Uint8Array(new BigInt64Array([-5n, 2147483647n]).buffer)];
  const i32Data = [...new Uint8Array(new Int32Array([-7, 9]).buffer)];
  const header = {
    __metadata__: { format: 'pt' },
    w: { dtype: 'F32', shape: [1, 2], data_offsets: [0, 8] },
    ids: { dtype: 'I64', shape: [2], data_offsets: [8, 24] },
    h: { dtype: 'F16', shape: [2], data_offsets: [24, 28] },
    b: { dtype: 'BF16', shape: [2, 1], data_offsets: [28, 32] },
    k: { dtype: 'I32', shape: [2], data_offsets: [32, 40] },
    u: { dtype: 'U8', shape: [3], data_offsets: [40, 43] },
    s: { dtype: 'F32', shape: [], data_offsets: [43, 47] },
    empty: { dtype: 'F32', shape: [0, 4], data_offsets: [47, 47] },
  };
  const data = [
    ...f32Data,
    ...i64Data,
    ...f16Data,
    ...bf16Data,
    ...i32Data,
    1,
    2,
    255,
    ...new Uint8Array(new Float32Array([7]).buffer),
  ];
  const file = makeFile(header, data);

  it('decodes every supported dtype and the metadata', () => {
    const { tensors, metadata } = parseSafetensors(file);
    expect(metadata).toEqual({ format: 'pt' });
    expect(tensors.get('w')).toEqual({ dtype: 'F32', shape: [1, 2], data: new Float32Array([0.5, -3]) });
    expect(tensors.get('ids')!.data).toEqual(new Int32Array([-5, 2147483647]));
    expect(tensors.get('h')!.data).toEqual(new Float32Array([1, -2]));
    expect(tensors.get('b')!.data).toEqual(new Float32Array([1, floatOfBits(0x40490000)]));
    expect(tensors.get('k')!.data).toEqual(new Int32Array([-7, 9]));
    expect(tensors.get('u')!.data).toEqual(new Uint8Array([1, 2, 255]));
    expect(tensors.get('s')).toEqual({ dtype: 'F32', shape: [], data: new Float32Array([7]) });
    expect(tensors.get('empty')!.data.length).toBe(0);
  });

  it('reads the same from a path, and names the path in errors', async () => {
    const path = join(dir, 'hand.safetensors');
    writeFileSync(path, file);
    const fromPath = await readSafetensors(path);
    expect(fromPath).toEqual(parseSafetensors(file));
    const bad = join(dir, 'bad.safetensors');
    writeFileSync(bad, file.subarray(0, 30));
    await expect(readSafetensors(bad)).rejects.toThrow(`${bad}: invalid safetensors file: header length`);
    await expect(readSafetensors(join(dir, 'nope.safetensors'))).rejects.toThrow(/nope\.safetensors: cannot open/);
  });

  const tensor = (dtype: string, shape: unknown, offsets: unknown) => ({ dtype, shape, data_offsets: offsets });
  const errorCases: [string, Uint8Array, RegExp][] = [
    ['empty file', new Uint8Array(0), /0 bytes, shorter than the 8-byte header length/],
    [
      'header length beyond the file',
      (() => {
        const f = makeFile({}, []);
        f[0] = 200;
        return f;
      })(),
      /header length 200 runs past the end/,
    ],
    [
      'header length > 100 MB',
      (() => {
        const f = new Uint8Array(16);
        new DataView(f.buffer).setBigUint64(0, 2n ** 63n, true);
        return f;
      })(),
      /exceeds the 104857600-byte limit/,
    ],
    ['bad UTF-8', makeFile(null, [], '{"\xff"}').map((b, i) => (i === 10 ? 0xff : b)), /not valid UTF-8/],
    ['bad JSON', makeFile(null, [], '{"a": '), /not valid JSON/],
    ['not an object', makeFile(null, [], '{}').map((b, i) => (i === 8 ? 0x5b : b)), /does not start with '\{'/],
    ['array header', makeFile(null, [], '[1]'), /does not start with '\{'/],
    [
      'unknown dtype',
      makeFile({ a: tensor('F99', [1], [0, 4]) }, [0, 0, 0, 0]),
      /tensor 'a' has unsupported dtype "F99"/,
    ],
    [
      'negative dim',
      makeFile({ a: tensor('F32', [-1], [0, 4]) }, [0, 0, 0, 0]),
      /shape is not an array of non-negative integers/,
    ],
    ['fractional dim', makeFile({ a: tensor('F32', [1.5], [0, 4]) }, [0, 0, 0, 0]), /shape is not an array/],
    ['shape not an array', makeFile({ a: tensor('F32', '4', [0, 4]) }, [0, 0, 0, 0]), /shape is not an array/],
    [
      'size mismatch',
      makeFile({ a: tensor('F32', [2], [0, 4]) }, [0, 0, 0, 0]),
      /F32\[2\] needs 8 bytes but data_offsets span 4/,
    ],
    [
      'zero dim next to huge ones',
      makeFile({ a: tensor('F32', [2 ** 52, 0, 2 ** 52], [0, 4]) }, [0, 0, 0, 0]),
      /needs 0 bytes but data_offsets span 4/,
    ],
    [
      'huge shape',
      makeFile({ a: tensor('F32', [2 ** 40, 2 ** 40], [0, 4]) }, [0, 0, 0, 0]),
      /needs more than 2\^53 bytes/,
    ],
    [
      'offsets out of bounds',
      makeFile({ a: tensor('U8', [8], [0, 8]) }, [0, 0, 0, 0]),
      /run past the 4-byte data buffer/,
    ],
    ['reversed offsets', makeFile({ a: tensor('U8', [0], [4, 0]) }, [0, 0, 0, 0]), /\[4, 0\] are reversed/],
    [
      'offsets not a pair',
      makeFile({ a: tensor('U8', [4], [0]) }, [0, 0, 0, 0]),
      /not a pair of non-negative integers/,
    ],
    [
      'overlap',
      makeFile({ a: tensor('U8', [4], [0, 4]), b: tensor('U8', [2], [2, 4]) }, [0, 0, 0, 0]),
      /overlaps the previous tensor/,
    ],
    [
      'hole',
      makeFile({ a: tensor('U8', [2], [0, 2]), b: tensor('U8', [1], [3, 4]) }, [0, 0, 0, 0]),
      /bytes 2\.\.3 of the data buffer belong to no tensor/,
    ],
    [
      'trailing bytes',
      makeFile({ a: tensor('U8', [2], [0, 2]) }, [0, 0, 0, 0]),
      /bytes 2\.\.4 of the data buffer belong to no tensor/,
    ],
    ['tensor entry not an object', makeFile({ a: 3 }, []), /tensor 'a' is not an object/],
    [
      'metadata value not a string',
      makeFile({ __metadata__: { x: 1 } }, []),
      /__metadata__ value of 'x' is not a string/,
    ],
    [
      'I64 outside int32',
      makeFile({ a: tensor('I64', [1], [0, 8]) }, [...new Uint8Array(new BigInt64Array([2n ** 31n]).buffer)]),
      /holds 2147483648, outside the int32 range/,
    ],
  ];
  it.each(errorCases)('rejects %s with a clear error', (_name, bytes, message) => {
    expect(() => parseSafetensors(bytes, 'test.safetensors')).toThrow(message);
    expect(() => parseSafetensors(bytes, 'test.safetensors')).toThrow(/^test\.safetensors: invalid safetensors file: /);
  });
});

describe('safetensors write', () => {
  const tensors = {
    'encoder.weight': { dtype: 'F32' as const, shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 0.1]) },
    'half.b': { dtype: 'F16' as const, shape: [3], data: new Float32Array([1, 65520, 3 * 2 ** -25]) },
    'brain.a': { dtype: 'BF16' as const, shape: [1, 2], data: new Float32Array([1 + 3 * 2 ** -8, -Infinity]) },
    scalar: { dtype: 'F32' as const, shape: [], data: new Float32Array([42]) },
  };

  it('lays out the header as specified: u64 length, JSON padded with spaces to 8-byte alignment', () => {
    const bytes = Buffer.concat(serializeSafetensors(tensors, { step: '12' }));
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const text = bytes.subarray(8, 8 + n).toString('utf8');
    expect(text).toMatch(/^\{.*\} *$/);
    const header = JSON.parse(text);
    expect(header.__metadata__).toEqual({ step: '12' });
    // 4-byte tensors first (by name), then 2-byte ones: offsets by hand.
    expect(header['encoder.weight']).toEqual({ dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
    expect(header.scalar.data_offsets).toEqual([24, 28]);
    expect(header['brain.a']).toEqual({ dtype: 'BF16', shape: [1, 2], data_offsets: [28, 32] });
    expect(header['half.b'].data_offsets).toEqual([32, 38]);
    const data = bytes.subarray(8 + n);
    expect(data.length).toBe(38);
    expect(data.readUInt32LE(0)).toBe(bitsOf(1));
    expect([data.readUInt16LE(28), data.readUInt16LE(30)]).toEqual([0x3f82, 0xff80]);
    expect([data.readUInt16LE(32), data.readUInt16LE(34), data.readUInt16LE(36)]).toEqual([0x3c00, 0x7c00, 0x0002]);
  });

  it('round-trips through a file written atomically', async () => {
    const path = join(dir, 'model.safetensors');
    await writeSafetensors(path, tensors, { epoch: '3' });
    const { tensors: back, metadata } = await readSafetensors(path);
    expect(metadata).toEqual({ epoch: '3' });
    expect(back.get('encoder.weight')!.data).toEqual(new Float32Array([1, 2, 3, 4, 5, 0.1]));
    expect(back.get('half.b')!.data).toEqual(new Float32Array([1, Infinity, 2 * 2 ** -24]));
    expect(back.get('brain.a')!.data).toEqual(new Float32Array([1 + 4 * 2 ** -8, -Infinity]));
    expect(back.get('scalar')!.shape).toEqual([]);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('stores any tensor name, even __proto__', () => {
    const odd = JSON.parse('{"__proto__": {"dtype": "F32", "shape": [1], "data": 0}}');
    // biome-ignore lint/suspicious/noProto: an own property named __proto__ (from JSON.parse) is the point of the test
    odd.__proto__.data = new Float32Array([5]);
    const back = parseSafetensors(Buffer.concat(serializeSafetensors(odd)));
    expect(back.tensors.get('__proto__')!.data).toEqual(new Float32Array([5]));
  });

  it('refuses inconsistent tensors', () => {
    expect(() => serializeSafetensors({ a: { dtype: 'F32', shape: [3], data: new Float32Array(2) } })).toThrow(
      /shape \[3\] has 3 elements but data has 2/,
    );
    expect(() => serializeSafetensors({ a: { dtype: 'F32', shape: [-1], data: new Float32Array(0) } })).toThrow(
      /shape must be non-negative integers/,
    );
    expect(() => serializeSafetensors({ a: { dtype: 'I8' as 'F32', shape: [0], data: new Float32Array(0) } })).toThrow(
      /unsupported write dtype 'I8'/,
    );
    expect(() =>
      serializeSafetensors({ __metadata__: { dtype: 'F32', shape: [0], data: new Float32Array(0) } }),
    ).toThrow(/cannot be a tensor name/);
  });
});

/** mulberry32: small seeded PRNG so the fuzz cases are reproducible. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('safetensors fuzz', () => {
  const base = Buffer.concat(
    serializeSafetensors(
      {
        a: { dtype: 'F32', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) },
        b: { dtype: 'F16', shape: [3], data: new Float32Array([0.5, -1, 8]) },
        c: { dtype: 'BF16', shape: [1], data: new Float32Array([2]) },
      },
      { note: 'fuzz' },
    ),
  );
  const headerLen = Number(base.readBigUInt64LE(0));
  const headerJson = JSON.parse(base.subarray(8, 8 + headerLen).toString('utf8'));
  const weird = [-1, 1.5, 2 ** 53, 2 ** 64, 1e308, -0, '3', null, [], {}, 4, 0, 8, 16, 22, 23, 24, 2 ** 31];

  function mutateJson(random: () => number): Uint8Array {
    const header = structuredClone(headerJson);
    const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
    const name = pick(['a', 'b', 'c']);
    switch (Math.floor(random() * 6)) {
      case 0:
        header[name].data_offsets[Math.floor(random() * 2)] = pick(weird);
        break;
      case 1:
        header[name].shape[0] = pick(weird);
        break;
      case 2:
        header[name].dtype = pick(['F64', 'I64', 'U8', 'BOOL', '', 7, 'F32']);
        break;
      case 3:
        delete header[name][pick(['dtype', 'shape', 'data_offsets'])];
        break;
      case 4:
        header[name].shape = [pick(weird), pick(weird), pick(weird)];
        break;
      default:
        header.__metadata__ = pick([null, 3, { x: 2 }, [], 'meta']);
    }
    return makeFile(header, base.subarray(8 + headerLen));
  }

  function mutateBytes(random: () => number): Uint8Array {
    const bytes = Uint8Array.from(base);
    const kind = Math.floor(random() * 3);
    const flips = 1 + Math.floor(random() * 4);
    for (let i = 0; i < flips; i++) {
      const at =
        kind === 0
          ? Math.floor(random() * 8)
          : kind === 1
            ? 8 + Math.floor(random() * headerLen)
            : Math.floor(random() * bytes.length);
      bytes[at] = kind === 0 && random() < 0.5 ? 0xff : Math.floor(random() * 256);
    }
    return bytes;
  }

  function checkOutcome(bytes: Uint8Array): 'ok' | 'error' {
    const before = process.memoryUsage().arrayBuffers;
    let outcome: 'ok' | 'error';
    try {
      const { tensors } = parseSafetensors(bytes, 'fuzz.safetensors');
      for (const t of tensors.values()) expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
      outcome = 'ok';
    } catch (err) {
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).constructor).toBe(Error);
      expect((err as Error).message).toMatch(/^fuzz\.safetensors: invalid safetensors file: .+/);
      outcome = 'error';
    }
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(4 * 1024 * 1024);
    return outcome;
  }

  it('rejects every truncation with a clear error', () => {
    for (let length = 0; length < base.length; length++) expect(checkOutcome(base.subarray(0, length))).toBe('error');
    expect(checkOutcome(base)).toBe('ok');
  });

  it('survives seeded random corruptions of bytes and header fields', () => {
    const random = rng(20250401);
    const counts = { ok: 0, error: 0 };
    const start = performance.now();
    for (let i = 0; i < 3000; i++) counts[checkOutcome(i % 2 === 0 ? mutateBytes(random) : mutateJson(random))]++;
    expect(performance.now() - start).toBeLessThan(10_000);
    // Both outcomes occur, so the corruptions are neither all fatal nor all harmless.
    expect(counts.error).toBeGreaterThan(1000);
    expect(counts.ok).toBeGreaterThan(50);
  });

  it('bounds allocation by the real file size, whatever the header claims', () => {
    const claims = makeFile(
      { a: { dtype: 'F32', shape: [2 ** 26, 2 ** 26], data_offsets: [0, 2 ** 52] } },
      [0, 0, 0, 0],
    );
    expect(() => checkOutcome(claims)).not.toThrow();
    const hugeLength = Uint8Array.from(base);
    new DataView(hugeLength.buffer).setBigUint64(0, 2n ** 64n - 1n, true);
    expect(checkOutcome(hugeLength)).toBe('error');
  });
});
