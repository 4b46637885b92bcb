// The MedTrim triplet loss kernel: forward and both gradients against the float64 reference on random
// batches (awkward sizes, invalid anchors, repeated indices), and against a PyTorch golden file.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { backward, requireGrad } from '../../src/autograd/index.js';
import { medtrimTripletLoss, medtrimTripletLossRef } from '../../src/ops/triplet.js';
import { host } from '../../src/tensor/host.js';
import { tensorFrom, tidyAsync } from '../../src/tensor/tensor.js';
import { expectClose, gpuRuntime, randomData, unitRows } from '../helpers/gpu.js';

async function checkAgainst(
  img: Float64Array,
  txt: Float64Array,
  n: number,
  dim: number,
  pos: number[],
  neg: number[],
  opts: { margin: number; eta: number },
  expected: { loss: number; dImg: ArrayLike<number>; dTxt: ArrayLike<number> },
) {
  const rt = await gpuRuntime();
  await tidyAsync(async () => {
    const ti = requireGrad(tensorFrom(rt, img, [n, dim]));
    const tt = requireGrad(tensorFrom(rt, txt, [n, dim]));
    const loss = medtrimTripletLoss(ti, tt, tensorFrom(rt, pos, [n], 'i32'), tensorFrom(rt, neg, [n], 'i32'), opts);
    backward(loss);
    expectClose(await loss.read(), [expected.loss], 1e-5, 1e-6);
    expectClose(await ti.grad!.read(), expected.dImg, 1e-4, 1e-6);
    expectClose(await tt.grad!.read(), expected.dTxt, 1e-4, 1e-6);
    ti.grad!.dispose();
    tt.grad!.dispose();
  });
}

describe('MedTrim triplet loss', () => {
  it('matches the float64 reference on awkward batches', async () => {
    for (const [n, dim] of [
      [1, 3],
      [3, 17],
      [17, 65],
      [65, 32],
    ] as const) {
      const img = unitRows(n, dim, n);
      const txt = unitRows(n, dim, n + 1);
      const r = randomData(2 * n, 99 + n, 0, 1);
      const pos = Array.from({ length: n }, (_, i) => (i % 5 === 4 ? -1 : Math.floor(r[i]! * n)));
      const neg = Array.from({ length: n }, (_, i) => (pos[i]! < 0 ? -1 : Math.floor(r[n + i]! * n)));
      const opts = { margin: 0.5, eta: 0.3 };
      await checkAgainst(
        img,
        txt,
        n,
        dim,
        pos,
        neg,
        opts,
        medtrimTripletLossRef(host(img, [n, dim]), host(txt, [n, dim]), pos, neg, opts),
      );
    }
  });

  it('is 0 with zero gradients when no anchor has a triplet', async () => {
    const n = 4;
    const dim = 8;
    const none = [-1, -1, -1, -1];
    await checkAgainst(
      unitRows(n, dim, 1),
      unitRows(n, dim, 2),
      n,
      dim,
      none,
      none,
      { margin: 0.3, eta: 0.5 },
      { loss: 0, dImg: new Float64Array(n * dim), dTxt: new Float64Array(n * dim) },
    );
  });

  it('matches the PyTorch golden file (relative error 1e-4)', async () => {
    const g = JSON.parse(readFileSync(new URL('../fixtures/golden/medtrim-loss.json', import.meta.url), 'utf8'));
    const ref = medtrimTripletLossRef(
      host(g.img, [g.n, g.dim]),
      host(g.txt, [g.n, g.dim]),
      g.positives,
      g.negatives,
      g,
    );
    // The reference and PyTorch agree to float64 precision; the GPU within float32 tolerance.
    expect(Math.abs(ref.loss - g.loss)).toBeLessThan(1e-12);
    expectClose(ref.dImg, g.dImg, 1e-10, 1e-12);
    await checkAgainst(Float64Array.from(g.img), Float64Array.from(g.txt), g.n, g.dim, g.positives, g.negatives, g, g);
  });
});
