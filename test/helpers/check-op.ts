// One helper checks any op's GPU forward against its float64 reference on random inputs of the given shapes.
import { host, type HostTensor } from '../../src/tensor/host.js';
import { sizeOf, tensorFrom, tidyAsync, type Tensor } from '../../src/tensor/tensor.js';
import { expectClose, gpuRuntime, randomData } from './gpu.js';

export interface OpCase {
  shapes: number[][];
  gpu: (inputs: Tensor[]) => Tensor;
  ref: (inputs: HostTensor[]) => HostTensor;
  /** Input value range (e.g. positive for log/sqrt). */
  range?: [number, number];
  rtol?: number;
  atol?: number;
  seed?: number;
}

export async function checkOp(c: OpCase): Promise<void> {
  const rt = await gpuRuntime();
  const [lo, hi] = c.range ?? [-2, 2];
  const hostInputs = c.shapes.map((shape, i) =>
    host(randomData(sizeOf(shape), (c.seed ?? 1) * 7919 + i, lo, hi), shape),
  );
  const expected = c.ref(hostInputs);
  const before = rt.pool.liveBytes;
  await tidyAsync(async () => {
    const out = c.gpu(hostInputs.map((h) => tensorFrom(rt, h.data, h.shape)));
    if (out.shape.join() !== expected.shape.join())
      throw new Error(`shape [${out.shape}] vs reference [${expected.shape}]`);
    expectClose(await out.read(), expected, c.rtol ?? 1e-5, c.atol ?? 1e-5);
  });
  // Every tensor the op made was released by the scope.
  if (rt.pool.liveBytes !== before) throw new Error(`op leaked ${rt.pool.liveBytes - before} bytes`);
}

/** The awkward sizes every kernel is checked on: 1, primes and one-past-powers-of-two. */
export const AWKWARD = [1, 3, 17, 65, 129];
