// Dropout with a seeded counter-based mask (shaders/dropout.wgsl). Dropout is linear in x with a fixed
// mask, so its backward is the same kernel applied to the gradient with the same seed. The float64
// reference computes the identical mask with the same integer hash.
import { record } from '../tensor/tape.js';
import { defineKernel, grid1d } from '../gpu/runtime.js';
import type { HostTensor } from '../tensor/host.js';
import { fmix32 } from '../util/rng.js';
import { Tensor } from '../tensor/tensor.js';

const WG = 64;
const dropoutDef = defineKernel({ shader: 'dropout' });

export function checkRate(p: number): void {
  if (!(p >= 0 && p < 1)) throw new Error(`dropout: rate must be in [0, 1), got ${p}`);
}

/** The mask's uniforms (shaders/lib/dropout_mask.wgsl) and the scale of kept values. */
export function dropoutMask(p: number, seed: number): { seed: number; threshold: number; scale: number } {
  return { seed: seed >>> 0, threshold: Math.min(Math.round(p * 2 ** 32), 2 ** 32 - 1), scale: 1 / (1 - p) };
}

function dropoutKernel(x: Tensor, p: number, seed: number): Tensor {
  const rt = x.runtime;
  const out = new Tensor(rt, x.shape);
  const kernel = rt.kernelOf(dropoutDef, { WG });
  rt.dispatch(kernel, { x_in: x, out }, { count: x.size, ...dropoutMask(p, seed) }, grid1d(x.size, WG));
  return out;
}

/** Zeroes each element with probability p (decided by hash(seed, index)) and scales the rest by 1/(1−p). */
export function dropout(x: Tensor, p: number, seed: number): Tensor {
  checkRate(p);
  const y = dropoutKernel(x, p, seed);
  return record('dropout', y, [x], (g) => [dropoutKernel(g, p, seed)]);
}

/** Whether element `index` survives dropout at `seed` (the kernel's mask, bit for bit). */
export function dropoutKeeps(index: number, p: number, seed: number): boolean {
  const { threshold } = dropoutMask(p, seed);
  return fmix32((fmix32((index + 0x9e3779b9) >>> 0) ^ (seed >>> 0)) >>> 0) >= threshold;
}

export function dropoutRef(x: HostTensor, p: number, seed: number): HostTensor {
  checkRate(p);
  return { shape: [...x.shape], data: x.data.map((v, i) => (dropoutKeeps(i, p, seed) ? v / (1 - p) : 0)) };
}
