// MedTrim's all-triplet objectives (`triplets: 'all' | 'semihard'`), composed from differentiable ops: the
// loss and both gradients against the float64 reference (gradients by central differences of it), on
// awkward batch sizes with tied scores, as the score matrix of real entity sets has.
import { describe, expect, it } from 'vitest';
import { backward } from '../../src/autograd/backward.js';
import { requireGrad } from '../../src/tensor/tape.js';
import { tensorFrom, tidyAsync } from '../../src/tensor/tensor.js';
import { allTripletLoss, allTripletLossRef } from '../../src/train/objective.js';
import { expectClose, gpuRuntime, randomData, unitRows } from '../helpers/gpu.js';

/** Scores from a handful of levels (ties, as MedTrim scores have), 1 on the diagonal. */
function scoreMatrix(n: number, seed: number): Float64Array {
  const r = randomData(n * n, seed, 0, 1);
  const levels = [0, 0.1, 0.3, 0.5, 0.7, 0.85, 1];
  return r.map((v, k) => (Math.floor(k / n) === k % n ? 1 : levels[Math.floor(v * levels.length)]!));
}

function numericGradient(f: (x: Float64Array) => number, x: Float64Array, h = 1e-6): Float64Array {
  return x.map((_, k) => {
    const up = Float64Array.from(x);
    const down = Float64Array.from(x);
    up[k]! += h;
    down[k]! -= h;
    return (f(up) - f(down)) / (2 * h);
  });
}

describe('all-triplet MedTrim loss', () => {
  for (const semihard of [false, true]) {
    it(`matches the float64 reference, loss and gradients (${semihard ? 'semihard' : 'all'})`, async () => {
      const rt = await gpuRuntime();
      for (const [n, dim, eta] of [
        [1, 3, 0.5],
        [3, 17, 0.5],
        [17, 8, 0.3],
        [33, 5, 0],
      ] as const) {
        const img = unitRows(n, dim, n);
        const txt = unitRows(n, dim, n + 7);
        const scores = scoreMatrix(n, n + 3);
        const o = { margin: 0.3, eta, tauMax: 0.6, semihard };
        const expected = allTripletLossRef(img, txt, scores, n, o);
        const dImg = numericGradient((x) => allTripletLossRef(x, txt, scores, n, o), img);
        const dTxt = numericGradient((x) => allTripletLossRef(img, x, scores, n, o), txt);
        await tidyAsync(async () => {
          const ti = requireGrad(tensorFrom(rt, img, [n, dim]));
          const tt = requireGrad(tensorFrom(rt, txt, [n, dim]));
          const loss = allTripletLoss(ti, tt, tensorFrom(rt, scores, [n, n]), o);
          backward(loss);
          expectClose(await loss.read(), [expected], 1e-5, 1e-6);
          expectClose(await ti.grad!.read(), dImg, 1e-4, 1e-5);
          expectClose(await tt.grad!.read(), dTxt, 1e-4, 1e-5);
          ti.grad!.dispose();
          tt.grad!.dispose();
        });
        if (n >= 17) expect(expected).toBeGreaterThan(0); // the larger cases do exercise the hinge
      }
    });
  }
});
