// The autograd engine itself: gradient accumulation, fan-out, detach, no-grad mode, freeing the graph and
// its saved intermediates, and leak-free backward passes.
import { describe, expect, it } from 'vitest';
import * as ag from '../../src/autograd/index.js';
import { layerNormRef } from '../../src/ops/layernorm.js';
import { linearOp, linearRef } from '../../src/ops/matmul.js';
import type { HostTensor } from '../../src/tensor/host.js';
import { tensorFrom, tidy, tidyAsync } from '../../src/tensor/tensor.js';
import { checkGrad } from '../helpers/check-grad.js';
import { expectClose, gpuRuntime, randomData } from '../helpers/gpu.js';

const addRef = (a: HostTensor, b: HostTensor): HostTensor => ({
  shape: a.shape,
  data: a.data.map((v, i) => v + b.data[i]!),
});

describe('autograd engine', () => {
  it('sums gradients of a tensor used twice, and accumulates across backward calls', async () => {
    const rt = await gpuRuntime();
    const x = ag.requireGrad(tensorFrom(rt, [1, -2, 3], [3]));
    await tidyAsync(async () => {
      // y = sum(x·x + 3x) → dy/dx = 2x + 3
      ag.backward(ag.sum(ag.add(ag.mul(x, x), ag.scale(x, 3)), 0));
      expectClose(await x.grad!.read(), [5, -1, 9]);
      ag.backward(ag.sum(ag.scale(x, 2), 0));
      expectClose(await x.grad!.read(), [7, 1, 11]);
    });
    x.grad!.dispose();
    x.dispose();
  });

  it('sums a fan-out in the stores of linear and layer norm (no add dispatches), on awkward shapes', async () => {
    // x feeds three linear layers (as a block's input feeds Q, K and V) and a layer norm: each rule after the
    // first adds the gradient x already has as it stores its own.
    for (const [rows, n] of [
      [17, 5],
      [3, 9],
      [1, 4],
    ] as const) {
      await checkGrad({
        shapes: [[rows, n], [n, n], [n], [n, n], [n], [n, n], [n], [n], [n]],
        gpu: ([x, w1, b1, w2, b2, w3, b3, g, beta]) =>
          ag.add(
            ag.add(ag.add(linearOp(x!, w1!, b1!), linearOp(x!, w2!, b2!)), linearOp(x!, w3!, b3!)),
            ag.layerNorm(x!, g!, beta!),
          ),
        ref: ([x, w1, b1, w2, b2, w3, b3, g, beta]) =>
          addRef(
            addRef(addRef(linearRef(x!, w1!, b1!), linearRef(x!, w2!, b2!)), linearRef(x!, w3!, b3!)),
            layerNormRef(x!, g!, beta!),
          ),
        atol: 1e-4,
        gradAtol: 2e-4,
      });
    }
    // The backward's dispatches: three linears' dx and dW (db beside it), and the layer norm's one; no adds.
    const rt = await gpuRuntime();
    const [rows, n] = [17, 5];
    tidy(() => {
      const t = (size: number, seed: number) => ag.requireGrad(tensorFrom(rt, randomData(size, seed, -1, 1), [size]));
      const x = ag.requireGrad(tensorFrom(rt, randomData(rows * n, 1, -1, 1), [rows, n]));
      const [w1, w2, w3] = [2, 3, 4].map((seed) =>
        ag.requireGrad(tensorFrom(rt, randomData(n * n, seed, -1, 1), [n, n])),
      );
      const [b1, b2, b3, g, beta] = [5, 6, 7, 8, 9].map((seed) => t(n, seed));
      const y = ag.add(
        ag.add(ag.add(linearOp(x, w1!, b1!), linearOp(x, w2!, b2!)), linearOp(x, w3!, b3!)),
        ag.layerNorm(x, g!, beta!),
      );
      const before = rt.counters.dispatches;
      ag.backward(y, tensorFrom(rt, randomData(rows * n, 10, -1, 1), [rows, n]));
      expect(rt.counters.dispatches - before).toBe(3 * 2 + 1);
      for (const p of [x, w1!, w2!, w3!, b1!, b2!, b3!, g!, beta!]) p.grad?.dispose();
    });
  });

  it('detach and noGrad cut the graph', async () => {
    const rt = await gpuRuntime();
    const x = ag.requireGrad(tensorFrom(rt, [1, 2], [2]));
    tidy(() => {
      expect(ag.detach(x).requiresGrad).toBe(false);
      expect(ag.noGrad(() => ag.scale(x, 2)).requiresGrad).toBe(false);
      expect(() => ag.backward(ag.noGrad(() => ag.sum(x, 0)))).toThrow(/does not require a gradient/);
      expect(ag.isGradEnabled()).toBe(true);
    });
    x.dispose();
  });

  it('a second backward through a freed graph is an error; saved intermediates are released by backward', async () => {
    const rt = await gpuRuntime();
    const x = ag.requireGrad(tensorFrom(rt, [1, 2, 3, 4, 5, 6], [2, 3]));
    const gamma = tensorFrom(rt, [1, 1, 1], [3]);
    const beta = tensorFrom(rt, [0, 0, 0], [3]);
    const before = rt.pool.liveBytes;
    const y = ag.layerNorm(x, gamma, beta);
    const loss = ag.sum(ag.sum(ag.square(y), 1), 0);
    const held = rt.pool.liveBytes;
    ag.backward(loss);
    // mean and rstd (2 rows each) went back to the pool; only x.grad is new.
    expect(rt.pool.liveBytes).toBe(held - 2 * 256 + 256);
    expect(() => ag.backward(loss)).toThrow(/a second time/);
    x.grad!.dispose();
    x.grad = null;
    // What is left is exactly the forward's own outputs (y, y², its row sums, loss): 4 tensors.
    expect(rt.pool.liveBytes).toBe(before + 4 * 256);
    for (const t of [x, gamma, beta]) t.dispose();
  });

  it('requires an explicit gradOut for non-scalar roots', async () => {
    const rt = await gpuRuntime();
    tidy(() => {
      const x = ag.requireGrad(tensorFrom(rt, [1, 2], [2]));
      expect(() => ag.backward(ag.scale(x, 2))).toThrow(/explicit gradOut/);
    });
  });
});
