// AdamW (parameter and gradient arenas, global-norm clipping in two GPU passes, the fused update) against its
// float64 reference over several steps, on parameter sizes that span many workgroups, end mid-invocation and
// leave gaps before the next aligned offset; and gradients that backward() accumulates into the arena.
import { describe, expect, it } from 'vitest';
import { add, backward, mul, reshape, sum } from '../../src/autograd/index.js';
import { linearOp } from '../../src/ops/matmul.js';
import { AdamW, adamwRef, type AdamWOptions } from '../../src/ops/optim.js';
import { type Tensor, tensorFrom, tidy } from '../../src/tensor/tensor.js';
import { expectClose, gpuRuntime, randomData } from '../helpers/gpu.js';

// 1 + 17·65 + 3·129 + 4097 = 5590 elements: partial workgroups, a partial last invocation, 22 AdamW workgroups.
const SHAPES = [[1], [17, 65], [3, 129], [4097]];
const STEPS = 3;

describe('AdamW against the float64 reference', () => {
  for (const maxGradNorm of [0, 0.5, 1e6]) {
    it(`3 steps, maxGradNorm ${maxGradNorm}`, async () => {
      const rt = await gpuRuntime();
      const options: Required<AdamWOptions> = {
        lr: 0.01,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weightDecay: 0.1,
        maxGradNorm,
      };
      const sizes = SHAPES.map((s) => s.reduce((p, d) => p * d, 1));
      const initial = sizes.map((n, i) => randomData(n, 100 + i, -1, 1));
      const params = initial.map((data, i) => tensorFrom(rt, data, SHAPES[i]!));
      const flat = Float64Array.from(initial.flatMap((d) => Array.from(d)));
      const state = { m: new Float64Array(flat.length), v: new Float64Array(flat.length), steps: 0 };
      const opt = new AdamW(params, options);
      for (let step = 0; step < STEPS; step++) {
        const grads = sizes.map((n, i) => randomData(n, 1000 * step + i, -2, 2));
        params.forEach((p, i) => (p.grad = tensorFrom(rt, grads[i]!, p.shape)));
        opt.step();
        opt.zeroGrad();
        const norm = adamwRef(flat, Float64Array.from(grads.flatMap((g) => Array.from(g))), state, options);
        const ours = (await Promise.all(params.map((p) => p.read()))).flatMap((d) => Array.from(d));
        expectClose(ours, flat, 1e-5, 1e-6);
        if (maxGradNorm > 0) expect((await opt.gradNorm.read())[0]).toBeCloseTo(norm, 3);
      }
      // Clipping by 0.5 must bind (the gradients' norm is ~80), so the test tells clipped from unclipped.
      if (maxGradNorm === 0.5) expect(Math.min(1, 0.5 / ((await opt.gradNorm.read())[0]! + 1e-6))).toBeLessThan(0.01);
      opt.dispose();
      for (const p of params) p.dispose();
    });
  }
});

describe('AdamW parameter arena', () => {
  it('keeps parameters in one buffer, takes backward gradients in their slots, and matches the reference', async () => {
    const rt = await gpuRuntime();
    const options: Required<AdamWOptions> = {
      lr: 0.01,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: 0.1,
      maxGradNorm: 1,
    };
    const shapes = [[3], [64, 5], [7]];
    const sizes = shapes.map((s) => s.reduce((p, d) => p * d, 1));
    const initial = sizes.map((n, i) => randomData(n, 300 + i, -1, 1));
    const coefficients = sizes.map((n, i) => randomData(n, 400 + i, -1, 1));
    const params = initial.map((data, i) => tensorFrom(rt, data, shapes[i]!).keep());
    for (const p of params) p.requiresGrad = true;
    const opt = new AdamW(params, options);
    expect(new Set(params.map((p) => p.buffer)).size).toBe(1);
    expect(params.every((p) => p.byteOffset % rt.storageAlign === 0)).toBe(true);
    // Values survive the move into the arena.
    for (let i = 0; i < params.length; i++)
      expect(Array.from(await params[i]!.read())).toEqual(Array.from(Float32Array.from(initial[i]!)));

    const flat = Float64Array.from(initial.flatMap((d) => Array.from(d)));
    const state = { m: new Float64Array(flat.length), v: new Float64Array(flat.length), steps: 0 };
    for (let step = 0; step < 2; step++) {
      // d/dp sum(p·c) = c; the first parameter's loss runs twice, so its gradient accumulates to 2c.
      const losses = [0, 1, 2, 0];
      for (const i of losses) {
        tidy(() => {
          const c = tensorFrom(rt, coefficients[i]!, shapes[i]!);
          backward(sum(reshape(mul(params[i]!, c), [-1]), 0));
        });
      }
      expect(params.every((p) => p.grad !== null && p.grad === p.gradSlot)).toBe(true);
      expectClose(
        await params[0]!.grad!.read(),
        Array.from(coefficients[0]!, (c) => 2 * c),
      );
      opt.step();
      opt.zeroGrad();
      const grads = Float64Array.from(coefficients.flatMap((c, i) => Array.from(c, (x) => (i === 0 ? 2 * x : x))));
      adamwRef(flat, grads, state, options);
      const ours = (await Promise.all(params.map((p) => p.read()))).flatMap((d) => Array.from(d));
      expectClose(ours, flat, 1e-5, 1e-6);
    }
    opt.dispose();
    expect(params.every((p) => p.gradSlot === null)).toBe(true);
    // The parameters outlive the optimizer.
    expectClose(await params[2]!.read(), flat.subarray(sizes[0]! + sizes[1]!), 1e-5, 1e-6);
    for (const p of params) p.dispose();
  });
});

describe('gradients written straight into their slots', () => {
  it('a leaf reached by one edge gets its gradient from the rule with no copy; others are summed, then copied', async () => {
    const rt = await gpuRuntime();
    // loss = sum(c ∘ (x·wᵀ + b + b2)) over x [2, 3, 5] (leading extents are rows), with w used once (its slot is
    // written by the weight-gradient product), b used once and b2 twice (once more through the second add).
    const [rows, k, n] = [6, 5, 7];
    const xData = randomData(rows * k, 500, -1, 1);
    const cData = randomData(rows * n, 501, -1, 1);
    const params = [
      tensorFrom(rt, randomData(n * k, 502, -1, 1), [n, k]).keep(),
      tensorFrom(rt, randomData(n, 503, -1, 1), [n]).keep(),
      tensorFrom(rt, randomData(n, 504, -1, 1), [n]).keep(),
    ];
    for (const p of params) p.requiresGrad = true;
    const [w, b, b2] = params as [Tensor, Tensor, Tensor];
    const opt = new AdamW(params, { lr: 0.01 });
    const copiedInto = new Set<string>();
    const copy = rt.copy.bind(rt);
    rt.copy = (src, dst, bytes) => {
      if (dst.buffer === w.gradSlot!.buffer) copiedInto.add(`${dst.byteOffset ?? 0}`);
      copy(src, dst, bytes);
    };
    try {
      for (let pass = 1; pass <= 2; pass++) {
        copiedInto.clear();
        tidy(() => {
          const x = tensorFrom(rt, xData, [2, 3, k]);
          const c = tensorFrom(rt, cData, [2, 3, n]);
          backward(sum(reshape(mul(add(add(linearOp(x, w, b), b2), b2), c), [-1]), 0));
        });
        expect(params.every((p) => p.grad === p.gradSlot)).toBe(true);
        // First pass: w and b are written in place, b2 (two edges) is summed and copied. Second pass: every
        // gradient already holds the first one, so each is summed with it and copied.
        const copied = params.filter((p) => copiedInto.has(`${p.gradSlot!.byteOffset}`));
        expect(copied).toEqual(pass === 1 ? [b2] : params);
        const dw = new Float64Array(n * k);
        const db = new Float64Array(n);
        for (let r = 0; r < rows; r++)
          for (let j = 0; j < n; j++) {
            db[j]! += pass * cData[r * n + j]!;
            for (let q = 0; q < k; q++) dw[j * k + q]! += pass * cData[r * n + j]! * xData[r * k + q]!;
          }
        expectClose(await w.grad!.read(), dw, 1e-5, 1e-5);
        expectClose(await b.grad!.read(), db, 1e-5, 1e-5);
        expectClose(
          await b2.grad!.read(),
          db.map((v) => 2 * v),
          1e-5,
          1e-5,
        );
      }
    } finally {
      rt.copy = copy;
      opt.dispose();
      for (const p of params) p.dispose();
    }
  });
});
