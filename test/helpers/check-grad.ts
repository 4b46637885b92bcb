// Checks a differentiable op end to end: its GPU forward against the float64 reference, and every input's
// GPU gradient (autograd backward from a random output gradient) against central finite differences of the
// reference in float64. Also asserts that nothing the op or its backward made outlives the check.
import { backward } from '../../src/autograd/backward.js';
import { host, type HostTensor } from '../../src/tensor/host.js';
import { sizeOf, tensorFrom, tidyAsync, type Tensor } from '../../src/tensor/tensor.js';
import { expectClose, gpuRuntime, randomData } from './gpu.js';

export interface GradCase {
  shapes: number[][];
  gpu: (inputs: Tensor[]) => Tensor;
  ref: (inputs: HostTensor[]) => HostTensor;
  range?: [number, number];
  /** Forward tolerances. */
  rtol?: number;
  atol?: number;
  /** Gradient tolerances; atol is scaled by max(1, max |reference gradient|). */
  gradRtol?: number;
  gradAtol?: number;
  seed?: number;
}

/** d/dx_i of Σ cotangent·ref(inputs) for input `which`, by central differences in float64. */
export function numericGrad(
  ref: GradCase['ref'],
  inputs: HostTensor[],
  cotangent: Float64Array,
  which: number,
): Float64Array {
  const x = inputs[which]!.data;
  const grad = new Float64Array(x.length);
  const objective = () => ref(inputs).data.reduce((s, v, i) => s + v * cotangent[i]!, 0);
  for (let i = 0; i < x.length; i++) {
    const saved = x[i]!;
    const h = 1e-6 * Math.max(1, Math.abs(saved));
    x[i] = saved + h;
    const up = objective();
    x[i] = saved - h;
    const down = objective();
    x[i] = saved;
    grad[i] = (up - down) / (2 * h);
  }
  return grad;
}

export async function checkGrad(c: GradCase): Promise<void> {
  const rt = await gpuRuntime();
  const [lo, hi] = c.range ?? [-2, 2];
  const seed = (c.seed ?? 1) * 7919;
  const inputs = c.shapes.map((shape, i) => host(randomData(sizeOf(shape), seed + i, lo, hi), shape));
  const expected = c.ref(inputs);
  const cotangent = randomData(expected.data.length, seed + 101, -1, 1);
  const before = rt.pool.liveBytes;
  await tidyAsync(async () => {
    const xs = inputs.map((h) => {
      const t = tensorFrom(rt, h.data, h.shape);
      t.requiresGrad = true;
      return t;
    });
    const y = c.gpu(xs);
    if (y.shape.join() !== expected.shape.join())
      throw new Error(`shape [${y.shape}] vs reference [${expected.shape}]`);
    expectClose(await y.read(), expected, c.rtol ?? 1e-5, c.atol ?? 1e-5);
    backward(y, tensorFrom(rt, cotangent, y.shape));
    for (let i = 0; i < xs.length; i++) {
      const want = numericGrad(c.ref, inputs, cotangent, i);
      const scale = Math.max(1, ...want.map(Math.abs));
      const got = xs[i]!.grad;
      if (!got) throw new Error(`input ${i} received no gradient`);
      expectClose(await got.read(), want, c.gradRtol ?? 1e-4, (c.gradAtol ?? 1e-4) * scale);
      got.dispose();
    }
  });
  if (rt.pool.liveBytes !== before) throw new Error(`op or its backward leaked ${rt.pool.liveBytes - before} bytes`);
}
