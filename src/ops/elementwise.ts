// Elementwise unary and broadcasting binary ops. Each op is one row: its WGSL expression (spliced into
// shaders/unary.wgsl or shaders/binary.wgsl) and its float64 CPU reference.
import { record } from '../tensor/tape.js';
import { grid1d, kernelDefs, type Runtime } from '../gpu/runtime.js';
import {
  broadcastShapes,
  broadcastStrides,
  collapseBroadcast,
  forEachBroadcast,
  type HostTensor,
} from '../tensor/host.js';
import { Tensor } from '../tensor/tensor.js';

const WG = 64;
const MAX_RANK = 8;

export const UNARY = {
  neg: { wgsl: '-x', ref: (x: number) => -x },
  abs: { wgsl: 'abs(x)', ref: Math.abs },
  exp: { wgsl: 'exp(x)', ref: Math.exp },
  log: { wgsl: 'log(x)', ref: Math.log },
  sqrt: { wgsl: 'sqrt(x)', ref: Math.sqrt },
  rsqrt: { wgsl: 'inverseSqrt(x)', ref: (x: number) => 1 / Math.sqrt(x) },
  square: { wgsl: 'x * x', ref: (x: number) => x * x },
  reciprocal: { wgsl: '1.0 / x', ref: (x: number) => 1 / x },
  relu: { wgsl: 'max(x, 0.0)', ref: (x: number) => Math.max(x, 0) },
  sigmoid: { wgsl: '1.0 / (1.0 + exp(-x))', ref: (x: number) => 1 / (1 + Math.exp(-x)) },
  // tanh saturates to ±1 in float32 past |x| = 10; clamping keeps backends whose tanh overflows finite.
  tanh: { wgsl: 'tanh(clamp(x, -10.0, 10.0))', ref: Math.tanh },
  sin: { wgsl: 'sin(x)', ref: Math.sin },
  cos: { wgsl: 'cos(x)', ref: Math.cos },
  scale: { wgsl: 'x * alpha', ref: (x: number, alpha: number) => x * alpha },
  addScalar: { wgsl: 'x + alpha', ref: (x: number, alpha: number) => x + alpha },
  powScalar: { wgsl: 'pow(x, alpha)', ref: (x: number, alpha: number) => x ** alpha },
} satisfies Record<string, { wgsl: string; ref: (x: number, alpha: number) => number }>;

export const BINARY = {
  add: { wgsl: 'x + y', ref: (x: number, y: number) => x + y },
  sub: { wgsl: 'x - y', ref: (x: number, y: number) => x - y },
  mul: { wgsl: 'x * y', ref: (x: number, y: number) => x * y },
  div: { wgsl: 'x / y', ref: (x: number, y: number) => x / y },
  maximum: { wgsl: 'max(x, y)', ref: Math.max },
  minimum: { wgsl: 'min(x, y)', ref: Math.min },
  pow: { wgsl: 'pow(x, y)', ref: (x: number, y: number) => x ** y },
  greater: { wgsl: 'select(0.0, 1.0, x > y)', ref: (x: number, y: number) => (x > y ? 1 : 0) },
  equal: { wgsl: 'select(0.0, 1.0, x == y)', ref: (x: number, y: number) => (x === y ? 1 : 0) },
} satisfies Record<string, { wgsl: string; ref: (x: number, y: number) => number }>;

export type UnaryOp = keyof typeof UNARY;
export type BinaryOp = keyof typeof BINARY;

const unaryKernel = kernelDefs((op: UnaryOp) => ({ shader: 'unary', template: { EXPR: UNARY[op].wgsl } }));
const binaryKernel = kernelDefs((op: BinaryOp) => ({ shader: 'binary', template: { EXPR: BINARY[op].wgsl } }));
/** unary_backward by derivative (a few constant strings: a handful of variants). */
const unaryBackwardKernel = kernelDefs((deriv: string) => ({ shader: 'unary_backward', template: { DERIV: deriv } }));

function requireF32(op: string, ...ts: Tensor[]): Runtime {
  for (const t of ts) if (t.dtype !== 'f32') throw new Error(`${op}: expects f32 tensors, got ${t.dtype}`);
  return ts[0]!.runtime;
}

export function unary(op: UnaryOp, x: Tensor, alpha = 0): Tensor {
  const rt = requireF32(op, x);
  const out = new Tensor(rt, x.shape);
  const kernel = rt.kernelOf(unaryKernel(op), { WG });
  rt.dispatch(kernel, { x_in: x, out }, { count: x.size, alpha }, grid1d(x.size, WG));
  return out;
}

export function unaryRef(op: UnaryOp, x: HostTensor, alpha = 0): HostTensor {
  const f = UNARY[op].ref as (x: number, alpha: number) => number;
  return { shape: [...x.shape], data: x.data.map((v) => f(v, alpha)) };
}

/** Packs up to 8 dimensions into the two vec4s the shader reads. */
function packDims(values: number[]): number[] {
  const packed = new Array<number>(MAX_RANK).fill(0);
  values.forEach((v, i) => (packed[i] = v));
  return packed;
}

export function binary(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  const rt = requireF32(op, a, b);
  const shape = broadcastShapes(a.shape, b.shape);
  if (shape.length > MAX_RANK) throw new Error(`${op}: rank ${shape.length} exceeds ${MAX_RANK}`);
  const out = new Tensor(rt, shape);
  const dims = collapseBroadcast(shape, broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape));
  const kernel = rt.kernelOf(binaryKernel(op), { WG, RANK: dims.shape.length });
  rt.dispatch(
    kernel,
    { a, b, out },
    { count: out.size, out_shape: packDims(dims.shape), a_strides: packDims(dims.a), b_strides: packDims(dims.b) },
    grid1d(out.size, WG),
  );
  return out;
}

export function binaryRef(op: BinaryOp, a: HostTensor, b: HostTensor): HostTensor {
  const shape = broadcastShapes(a.shape, b.shape);
  const f = BINARY[op].ref;
  const data = new Float64Array(shape.reduce((n, d) => n * d, 1));
  forEachBroadcast(shape, broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape), (i, ia, ib) => {
    data[i] = f(a.data[ia]!, b.data[ib]!);
  });
  return { shape, data };
}

// ---- Backward rules (autograd). Each unary op's derivative as WGSL in x (input), y (output) and alpha,
// run by shaders/unary_backward.wgsl as dx = dy·f'(x); binary ops compose their rules from these kernels.

export const UNARY_DERIVATIVE: Record<UnaryOp, string> = {
  neg: '-1.0',
  abs: 'sign(x)',
  exp: 'y',
  log: '1.0 / x',
  sqrt: '0.5 / y',
  rsqrt: '-0.5 * y * y * y',
  square: '2.0 * x',
  reciprocal: '-y * y',
  relu: 'select(0.0, 1.0, x > 0.0)',
  sigmoid: 'y * (1.0 - y)',
  tanh: '1.0 - y * y',
  sin: 'cos(x)',
  cos: '-sin(x)',
  scale: 'alpha',
  addScalar: '1.0',
  powScalar: 'alpha * pow(x, alpha - 1.0)',
};

/**
 * dx = dy · f'(x) for an elementwise f given as WGSL (shared with the activations in activation.ts, whose
 * derivatives call the helpers of shaders/lib/gelu.wgsl).
 */
export function unaryBackward(deriv: string, x: Tensor, y: Tensor, dy: Tensor, alpha = 0): Tensor {
  const rt = x.runtime;
  const dx = new Tensor(rt, x.shape);
  const kernel = rt.kernelOf(unaryBackwardKernel(deriv), { WG });
  rt.dispatch(kernel, { x_in: x, y_in: y, dy, dx }, { count: x.size, alpha }, grid1d(x.size, WG));
  return dx;
}

/** Differentiable unary op. */
export function unaryOp(op: UnaryOp, x: Tensor, alpha = 0): Tensor {
  const y = unary(op, x, alpha);
  return record(op, y, [x], (g) => [unaryBackward(UNARY_DERIVATIVE[op], x, y, g, alpha)]);
}

export type DifferentiableBinaryOp = 'add' | 'sub' | 'mul' | 'div';

/** Gradients of out = op(a, b) at full (broadcast) shape; autograd sums them back to a's and b's shapes. */
const BINARY_BACKWARD: Record<
  DifferentiableBinaryOp,
  (a: Tensor, b: Tensor, out: Tensor, g: Tensor) => [Tensor, Tensor]
> = {
  add: (_a, _b, _out, g) => [g, g],
  sub: (_a, _b, _out, g) => [g, unary('neg', g)],
  mul: (a, b, _out, g) => [binary('mul', g, b), binary('mul', g, a)],
  div: (_a, b, out, g) => {
    const ga = binary('div', g, b);
    const gaTimesOut = binary('mul', ga, out);
    const gb = unary('neg', gaTimesOut);
    gaTimesOut.dispose();
    return [ga, gb];
  },
};

/** Differentiable broadcasting binary op. */
export function binaryOp(op: DifferentiableBinaryOp, a: Tensor, b: Tensor): Tensor {
  const out = binary(op, a, b);
  return record(op, out, [a, b], (g) => BINARY_BACKWARD[op](a, b, out, g));
}
