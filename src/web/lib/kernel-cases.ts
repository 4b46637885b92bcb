// Small kernel computations that the browser page and Node both run on the same inputs, each with its
// float64 reference: the page's self-check shows them, and test/browser compares page, Node and reference.
import { hashUnit } from '../../util/rng.js';
import type { Runtime } from '../../gpu/runtime.js';
import { binary, binaryRef, unary, unaryRef } from '../../ops/elementwise.js';
import { layerNorm, layerNormRef } from '../../ops/layernorm.js';
import { matmul, matmulRef } from '../../ops/matmul.js';
import { softmax, softmaxRef } from '../../ops/softmax.js';
import { host, type HostTensor } from '../../tensor/host.js';
import { sizeOf, tensorFrom, tidyAsync, type Tensor } from '../../tensor/tensor.js';

export interface KernelCase {
  name: string;
  shapes: number[][];
  gpu(inputs: Tensor[]): Tensor;
  ref(inputs: HostTensor[]): HostTensor;
}

/** Odd sizes on purpose, so that partial tiles and unaligned (non-vec4) fetches are exercised. */
export const KERNEL_CASES: readonly KernelCase[] = [
  {
    name: 'matmul 33×47 · 47×29',
    shapes: [
      [33, 47],
      [47, 29],
    ],
    gpu: ([a, b]) => matmul(a!, b!),
    ref: ([a, b]) => matmulRef(a!, b!),
  },
  {
    name: 'batched matmul 3×16×20 · (3×24×20)ᵀ',
    shapes: [
      [3, 16, 20],
      [3, 24, 20],
    ],
    gpu: ([a, b]) => matmul(a!, b!, { transB: true }),
    ref: ([a, b]) => matmulRef(a!, b!, { transB: true }),
  },
  { name: 'softmax 7×65', shapes: [[7, 65]], gpu: ([x]) => softmax(x!), ref: ([x]) => softmaxRef(x!) },
  {
    name: 'layer norm 5×96',
    shapes: [[5, 96], [96], [96]],
    gpu: ([x, g, b]) => layerNorm(x!, g!, b!),
    ref: ([x, g, b]) => layerNormRef(x!, g!, b!),
  },
  {
    name: 'chain softmax(tanh(x·W + b))·V',
    shapes: [[9, 32], [32, 17], [17], [17, 8]],
    gpu: ([x, w, b, v]) => matmul(softmax(unary('tanh', binary('add', matmul(x!, w!), b!))), v!),
    ref: ([x, w, b, v]) => matmulRef(softmaxRef(unaryRef('tanh', binaryRef('add', matmulRef(x!, w!), b!))), v!),
  },
];

export function kernelCase(name: string): KernelCase {
  const found = KERNEL_CASES.find((c) => c.name === name);
  if (!found) throw new Error(`no kernel case '${name}' (have: ${KERNEL_CASES.map((c) => c.name).join('; ')})`);
  return found;
}

/** Deterministic inputs in [-1, 1), already rounded to float32 so that the GPU and the reference see the same values. */
export function caseInputs(c: KernelCase, seed: number): number[][] {
  return c.shapes.map((shape, k) =>
    Array.from({ length: sizeOf(shape) }, (_, i) => Math.fround(2 * hashUnit(seed, k, i) - 1)),
  );
}

export async function runCaseOnGpu(
  rt: Runtime,
  c: KernelCase,
  inputs: readonly ArrayLike<number>[],
): Promise<Float32Array> {
  return tidyAsync(
    async () => new Float32Array(await c.gpu(inputs.map((data, k) => tensorFrom(rt, data, c.shapes[k]!))).read()),
  );
}

export function runCaseReference(c: KernelCase, inputs: readonly ArrayLike<number>[]): HostTensor {
  return c.ref(inputs.map((data, k) => host(data, c.shapes[k]!)));
}

/** Largest |a - b| over two equally long arrays. */
export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`cannot compare ${a.length} values with ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++)
    worst = Math.max(worst, Number.isNaN(a[i]! - b[i]!) ? Infinity : Math.abs(a[i]! - b[i]!));
  return worst;
}
