// The embedding backward (a GPU counting sort of positions by id, then ordered row sums) against two host
// references: float64 sums (the true gradient) and float32 sums added one position at a time in ascending
// order, which the kernel must reproduce bit for bit — that order is what makes it deterministic.
import { describe, expect, it } from 'vitest';
import { backward } from '../../src/autograd/backward.js';
import { embedding } from '../../src/autograd/index.js';
import { embeddingBackward } from '../../src/ops/embedding.js';
import { tensorFrom, tidyAsync } from '../../src/tensor/tensor.js';
import { expectClose, gpuRuntime, randomData } from '../helpers/gpu.js';

/** Row v of the table gradient: dy's rows at positions with id v, summed in ascending position order. */
function scatterAddRef(
  ids: readonly number[],
  dy: Float64Array,
  vocab: number,
  dim: number,
  round: (x: number) => number,
): Float64Array {
  const out = new Float64Array(vocab * dim);
  ids.forEach((id, p) => {
    if (id < 0 || id >= vocab) return;
    for (let c = 0; c < dim; c++) out[id * dim + c] = round(out[id * dim + c]! + dy[p * dim + c]!);
  });
  return out;
}

type Pattern = 'random with out-of-range' | 'all equal' | 'few rows used';

function makeIds(pattern: Pattern, n: number, vocab: number, seed: number): number[] {
  const unit = randomData(n, seed, 0, 1);
  if (pattern === 'all equal') return Array.from(unit, () => vocab - 1);
  if (pattern === 'few rows used') return Array.from(unit, (u) => (u < 0.5 ? 0 : vocab >> 1));
  return Array.from(unit, (u) => Math.floor(u * (vocab + 4)) - 2);
}

async function gradientBits(ids: number[], dy: Float64Array, vocab: number, dim: number): Promise<Float32Array> {
  const rt = await gpuRuntime();
  return tidyAsync(async () => {
    const grad = embeddingBackward(
      tensorFrom(rt, ids, [ids.length], 'i32'),
      tensorFrom(rt, dy, [ids.length, dim]),
      vocab,
    );
    return (await grad.read()) as Float32Array;
  });
}

describe('embedding backward', () => {
  const patterns: Pattern[] = ['random with out-of-range', 'all equal', 'few rows used'];
  for (const vocab of [1, 3, 17, 65, 1000]) {
    it(`vocab ${vocab}: float64 gradient, and the ascending-order float32 sum bit for bit`, async () => {
      const rt = await gpuRuntime();
      const before = rt.pool.liveBytes;
      const dim = 7;
      for (const n of [1, 3, 65, 2048]) {
        for (const [k, pattern] of patterns.entries()) {
          const ids = makeIds(pattern, n, vocab, vocab * 31 + n * 7 + k);
          const dy = Float64Array.from(randomData(n * dim, n + k, -1, 1), Math.fround);
          const got = await gradientBits(ids, dy, vocab, dim);
          const what = `vocab ${vocab}, ${n} positions, ${pattern}`;
          expectClose(
            got,
            scatterAddRef(ids, dy, vocab, dim, (x) => x),
            1e-5,
            1e-5 * Math.sqrt(n),
          );
          expect(Array.from(got), what).toEqual(Array.from(scatterAddRef(ids, dy, vocab, dim, Math.fround)));
        }
      }
      expect(rt.pool.liveBytes).toBe(before);
    });
  }

  it('rows no position uses get exactly zero, and two runs give the same bits', async () => {
    const vocab = 1000;
    const dim = 64;
    const ids = makeIds('random with out-of-range', 2048, 40, 5).map((id) => id * 17);
    const dy = Float64Array.from(randomData(ids.length * dim, 6, -1, 1), Math.fround);
    const first = await gradientBits(ids, dy, vocab, dim);
    const second = await gradientBits(ids, dy, vocab, dim);
    expect(new Uint32Array(second.buffer)).toEqual(new Uint32Array(first.buffer));
    const used = new Set(ids);
    for (let v = 0; v < vocab; v++) {
      if (!used.has(v))
        expect(
          first.subarray(v * dim, (v + 1) * dim).every((x) => x === 0),
          `row ${v}`,
        ).toBe(true);
    }
    expect(Array.from(first)).toEqual(Array.from(scatterAddRef(ids, dy, vocab, dim, Math.fround)));
  });

  it('autograd: ids [batch, seq] reach the table gradient through embedding()', async () => {
    const rt = await gpuRuntime();
    const [vocab, dim, batch, seq] = [17, 5, 3, 4];
    const ids = [3, 0, 3, 16, 3, -1, 17, 5, 0, 3, 3, 9];
    const dy = Float64Array.from(randomData(batch * seq * dim, 8, -1, 1), Math.fround);
    const got = await tidyAsync(async () => {
      const table = tensorFrom(rt, randomData(vocab * dim, 9), [vocab, dim]);
      table.requiresGrad = true;
      backward(embedding(table, tensorFrom(rt, ids, [batch, seq], 'i32')), tensorFrom(rt, dy, [batch, seq, dim]));
      const grad = table.grad!;
      const data = await grad.read();
      grad.dispose();
      return data;
    });
    expect(Array.from(got)).toEqual(Array.from(scatterAddRef(ids, dy, vocab, dim, Math.fround)));
  });
});
