// GPU top-k against the float64 reference: indices must match exactly (ties → lower column), values to f32.
import { describe, expect, it } from 'vitest';
import { host } from '../../src/tensor/host.js';
import { tensorFrom, tidyAsync } from '../../src/tensor/tensor.js';
import { LOWEST_F32, retrieveTopk, similarityRef, topk, topkRef, type TopkOptions } from '../../src/ops/topk.js';
import { AWKWARD } from '../helpers/check-op.js';
import { gpuRuntime, randomData } from '../helpers/gpu.js';

/** f32-exact data; `levels` > 0 quantises to that many distinct values so ties are everywhere. */
function scoresData(rows: number, n: number, seed: number, levels = 0): Float32Array {
  const raw = randomData(rows * n, seed, -1, 1);
  return Float32Array.from(raw, (v) => (levels ? Math.floor(((v + 1) * levels) / 2) : v));
}

async function expectTopk(
  rows: number,
  n: number,
  k: number,
  opts: { levels?: number; exclude?: number[]; diagonal?: boolean; maxBlock?: number } = {},
) {
  const rt = await gpuRuntime();
  const data = scoresData(rows, n, rows * 1000 + n * 7 + k, opts.levels ?? 0);
  const exclude = opts.exclude ?? (opts.diagonal ? Array.from({ length: rows }, (_, i) => i) : undefined);
  const ref = topkRef(host(data, [rows, n]), k, exclude);
  const before = rt.pool.liveBytes;
  await tidyAsync(async () => {
    const exclusion: TopkOptions = opts.exclude
      ? { excludeColumn: tensorFrom(rt, opts.exclude, [rows], 'i32') }
      : { excludeDiagonal: opts.diagonal };
    const options = { ...exclusion, maxBlock: opts.maxBlock };
    const out = topk(tensorFrom(rt, data, [rows, n]), k, options);
    expect(out.indices.shape).toEqual([rows, k]);
    expect(Array.from(await out.indices.read())).toEqual(Array.from(ref.indices));
    expect(Array.from(await out.values.read())).toEqual(Array.from(Float32Array.from(ref.values)));
  });
  expect(rt.pool.liveBytes).toBe(before);
}

describe('topk on the GPU equals the reference', () => {
  for (const n of AWKWARD) {
    for (const k of [1, 10, 200]) {
      it(`5 rows × ${n} columns, k = ${k}`, () => expectTopk(5, n, k));
    }
    it(`${n} columns with heavy ties, k = 10`, () => expectTopk(4, n, 10, { levels: 3 }));
    it(`${n} columns, diagonal excluded, k = ${Math.min(n, 10)}`, () =>
      expectTopk(Math.min(n, 6), n, Math.min(n, 10), { diagonal: true, levels: 4 }));
  }
  it('excludeColumn per row, -1 excluding nothing', () => expectTopk(4, 17, 17, { exclude: [3, -1, 16, 0] }));
  it('rows longer than one 1024-wide block (2100 columns, k = 100, ties)', () =>
    expectTopk(1, 2100, 100, { levels: 50 }));
  // 16-wide blocks: 129 columns → 9 blocks → 27 survivors → 2 blocks → 6 → 1 block: three passes.
  it('many merge passes with small blocks (129 columns, k = 3, diagonal excluded, ties)', () =>
    expectTopk(7, 129, 3, { levels: 5, diagonal: true, maxBlock: 16 }));
  it('small blocks, k = 8 at the 2k limit, over 1000 columns', () =>
    expectTopk(2, 1000, 8, { levels: 20, maxBlock: 16 }));
  it('many rows fold into a 2-D grid of workgroups', () => expectTopk(300, 5, 2));
});

describe('topk edge cases, checked by hand', () => {
  it('ties go to the lower column, excluded columns never appear, missing slots are -1', async () => {
    const rt = await gpuRuntime();
    const scores = tensorFrom(rt, [0.5, 0.9, 0.5, 0.9, LOWEST_F32, 0.2, 0.2, 0.2, 0.2, 0.2], [2, 5]);
    const out = topk(scores, 6, { excludeDiagonal: true });
    expect(Array.from(await out.indices.read())).toEqual([1, 3, 2, 4, -1, -1, 0, 2, 3, 4, -1, -1]);
    for (const t of [scores, out.values, out.indices]) t.dispose();
  });
  it('rejects k out of range and a mis-shaped excludeColumn', async () => {
    const rt = await gpuRuntime();
    await tidyAsync(async () => {
      const scores = tensorFrom(rt, [1, 2, 3, 4], [2, 2]);
      expect(() => topk(scores, 0)).toThrow(/k must be/);
      expect(() => topk(scores, 9, { maxBlock: 16 })).toThrow(/maxBlock/);
      expect(() => topk(scores, 1, { excludeColumn: tensorFrom(rt, [0], [1], 'i32') })).toThrow(/excludeColumn/);
    });
  });
});

describe('retrieveTopk streams query chunks', () => {
  it('matches the reference on similarity of random embeddings, with self excluded', async () => {
    const rt = await gpuRuntime();
    const [q, d] = [37, 8];
    const emb = host(Float32Array.from(randomData(q * d, 11)), [q, d]);
    const sim = similarityRef(emb, emb);
    const gpuEmb = tensorFrom(rt, emb.data, [q, d]);
    const tiny = await retrieveTopk(gpuEmb, gpuEmb, 5, { excludeSelf: true, maxBlockBytes: 10 * q * 4 });
    const whole = await retrieveTopk(gpuEmb, gpuEmb, 5, { excludeSelf: true });
    gpuEmb.dispose();
    expect(Array.from(tiny.indices)).toEqual(Array.from(whole.indices));
    const ref = topkRef(
      sim,
      5,
      Array.from({ length: q }, (_, i) => i),
    );
    // Near-ties in f32 matmul could swap neighbours; random data has none closer than 1e-5.
    expect(Array.from(whole.indices)).toEqual(Array.from(ref.indices));
    for (let i = 0; i < q * 5; i++) expect(Math.abs(whole.values[i]! - ref.values[i]!)).toBeLessThan(1e-5);
  });
});
