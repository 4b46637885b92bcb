// The autograd engine itself: gradient accumulation, fan-out, detach, no-grad mode, freeing the graph and
// its saved intermediates, and leak-free backward passes.
import { describe, expect, it } from 'vitest';
import * as ag from '../../src/autograd/index.js';
import { tensorFrom, tidy, tidyAsync } from '../../src/tensor/tensor.js';
import { expectClose, gpuRuntime } from '../helpers/gpu.js';

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
