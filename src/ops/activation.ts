// Activations: GELU in its exact (erf) and tanh forms (forward shaders/activation.wgsl, backward
// shaders/unary_backward.wgsl, each calling the form the table below names; the forms are defined once, in
// shaders/lib/gelu.wgsl, which matmul's fused GELU store includes too), and the differentiable ReLU and tanh of
// the elementwise table.
import { record } from '../tensor/tape.js';
import { grid1d, kernelDefs } from '../gpu/runtime.js';
import type { HostTensor } from '../tensor/host.js';
import { Tensor } from '../tensor/tensor.js';
import { unaryBackward, unaryOp } from './elementwise.js';

const WG = 64;

const SQRT_HALF = Math.SQRT1_2;
const TANH_K = 0.7978845608028654; // sqrt(2/π)
const TANH_C = 0.044715;

/** erf in float64 from its everywhere-convergent series of positive terms (no cancellation):
 * erf(x) = 2/√π · e^{−x²} · Σ 2ⁿ x^{2n+1} / (1·3·…·(2n+1)). */
export function erfRef(x: number): number {
  const a = Math.abs(x);
  if (a > 6) return Math.sign(x);
  let term = a;
  let sum = a;
  for (let n = 1; term > 1e-17 * sum; n++) {
    term *= (2 * a * a) / (2 * n + 1);
    sum += term;
  }
  return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * Math.exp(-a * a) * sum;
}

export const GELU = {
  erf: {
    wgsl: 'gelu_erf(x)',
    deriv: 'gelu_erf_deriv(x)',
    ref: (x: number) => 0.5 * x * (1 + erfRef(x * SQRT_HALF)),
  },
  tanh: {
    wgsl: 'gelu_tanh(x)',
    deriv: 'gelu_tanh_deriv(x)',
    ref: (x: number) => 0.5 * x * (1 + Math.tanh(TANH_K * (x + TANH_C * x ** 3))),
  },
} as const;
export type GeluForm = keyof typeof GELU;

const activationDef = kernelDefs((expr: string) => ({ shader: 'activation', template: { EXPR: expr } }));

/** Applies an activation given as WGSL in x (the helpers of shaders/lib/gelu.wgsl available). */
export function activationKernel(expr: string, x: Tensor): Tensor {
  const rt = x.runtime;
  const out = new Tensor(rt, x.shape);
  const kernel = rt.kernelOf(activationDef(expr), { WG });
  rt.dispatch(kernel, { x_in: x, out }, { count: x.size }, grid1d(x.size, WG));
  return out;
}

/** Differentiable GELU, exact (erf) or tanh-approximated. */
export function gelu(x: Tensor, form: GeluForm = 'erf'): Tensor {
  const y = activationKernel(GELU[form].wgsl, x);
  return record(`gelu(${form})`, y, [x], (g) => [unaryBackward(GELU[form].deriv, x, y, g)]);
}

export function geluRef(x: HostTensor, form: GeluForm = 'erf'): HostTensor {
  return { shape: [...x.shape], data: x.data.map(GELU[form].ref) };
}

export const relu = (x: Tensor): Tensor => unaryOp('relu', x);
export const tanh = (x: Tensor): Tensor => unaryOp('tanh', x);
