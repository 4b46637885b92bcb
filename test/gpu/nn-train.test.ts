// A 1,000-step training loop of a 2→32→2 MLP (tanh) with AdamW on a toy task (is the point inside the
// circle of radius 1?): GPU memory held by live tensors must stay flat and the loss must fall. One command
// encoder per step; the loss is read back only every 100 steps.
import { expect, it } from 'vitest';
import { backward, crossEntropy, tanh } from '../../src/autograd/index.js';
import { Linear } from '../../src/nn/layers.js';
import { Module } from '../../src/nn/module.js';
import { Rng } from '../../src/util/rng.js';
import type { Runtime } from '../../src/gpu/runtime.js';
import { AdamW } from '../../src/ops/optim.js';
import { tensorFrom, tidy, type Tensor } from '../../src/tensor/tensor.js';
import { gpuRuntime } from '../helpers/gpu.js';

class Mlp extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;
  constructor(rt: Runtime, rng: Rng) {
    super();
    this.fc1 = this.addModule('fc1', new Linear(rt, 2, 32, rng));
    this.fc2 = this.addModule('fc2', new Linear(rt, 32, 2, rng));
  }
  forward(x: Tensor): Tensor {
    return this.fc2.forward(tanh(this.fc1.forward(x)));
  }
}

it('trains a small MLP for 1,000 steps with flat GPU memory and a falling loss', async () => {
  const rt = await gpuRuntime();
  const rng = new Rng(42);
  const n = 64;
  const points = Array.from({ length: 2 * n }, () => rng.uniform(-1.6, 1.6));
  const labels = Array.from({ length: n }, (_, i) => (Math.hypot(points[2 * i]!, points[2 * i + 1]!) < 1 ? 1 : 0));
  const x = tensorFrom(rt, points, [n, 2]);
  const targets = tensorFrom(rt, labels, [n], 'i32');
  const model = new Mlp(rt, rng);
  const opt = new AdamW(model.parameters(), { lr: 0.02, weightDecay: 0.01, maxGradNorm: 5 });
  const losses: number[] = [];
  const liveAt: Record<number, number> = {};
  for (let step = 1; step <= 1000; step++) {
    const loss = tidy(() => {
      const l = crossEntropy(model.forward(x), targets);
      backward(l);
      opt.step();
      opt.zeroGrad();
      return step % 100 === 0 || step === 1 ? l : null;
    });
    rt.flush();
    if (loss) {
      losses.push((await loss.read())[0]!);
      loss.dispose();
    }
    liveAt[step] = rt.pool.liveBytes;
  }
  expect(liveAt[1000]).toBe(liveAt[100]);
  expect(liveAt[1000]).toBe(liveAt[1]);
  expect(losses[0]).toBeGreaterThan(0.5);
  expect(losses.at(-1)!).toBeLessThan(0.5 * losses[0]!);
  expect(losses.at(-1)!).toBeLessThan(losses[5]!);
  opt.dispose();
  model.dispose();
  x.dispose();
  targets.dispose();
});
