// Reductions along one axis (sum, mean, max): shaders/reduce_serial.wgsl, reduce.wgsl and reduce_subgroup.wgsl with
// the op's expressions as template values, and the float64 reference beside it. The reduced axis is kept with extent 1 only when keepDims is set.
import { record } from '../tensor/tape.js';
import { grid1d, kernelDefs } from '../gpu/runtime.js';
import type { HostTensor } from '../tensor/host.js';
import { broadcastTo, splitAxis } from './layout.js';
import { unary } from './elementwise.js';
import { Tensor, type Shape } from '../tensor/tensor.js';

export const REDUCE = {
  sum: { combine: 'a + b', subgroup: 'subgroupAdd', identity: '0.0', ref: (a: number, b: number) => a + b, init: 0 },
  mean: { combine: 'a + b', subgroup: 'subgroupAdd', identity: '0.0', ref: (a: number, b: number) => a + b, init: 0 },
  // WGSL cannot express -inf as a constant, so the identity is the lowest finite f32 (the reduction of an
  // empty axis therefore gives -3.4028235e38 on both sides).
  max: {
    combine: 'max(a, b)',
    subgroup: 'subgroupMax',
    identity: '-3.4028234663852886e38',
    ref: Math.max,
    init: -3.4028234663852886e38,
  },
} as const;
export type ReduceOp = keyof typeof REDUCE;

function reducedShape(shape: Shape, axis: number, keepDims: boolean): number[] {
  return keepDims ? shape.map((d, i) => (i === axis ? 1 : d)) : shape.filter((_, i) => i !== axis);
}

/** Invocations of the serial kernel's workgroups. */
const SERIAL_WG = 64;

const serialDef = kernelDefs((op: ReduceOp) => ({
  shader: 'reduce_serial',
  template: { COMBINE: REDUCE[op].combine, IDENTITY: REDUCE[op].identity },
}));
/** A workgroup per output, by op: reduce.wgsl, and reduce_subgroup.wgsl for devices with subgroups. */
const workgroupDefs = [false, true].map((subgroups) =>
  kernelDefs((op: ReduceOp) => {
    const { combine, identity, subgroup } = REDUCE[op];
    const template: Record<string, string> = { COMBINE: combine, IDENTITY: identity };
    if (!subgroups) return { shader: 'reduce', template };
    return { shader: 'reduce_subgroup', template: { ...template, SUBGROUP_FOLD: subgroup } };
  }),
);

/**
 * 'serial' (reduce_serial.wgsl: an invocation per output) for short axes, and for axes up to a few thousand long
 * when outputs lie side by side in memory (inner ≥ 32: neighbouring invocations read neighbouring values);
 * 'workgroup' (reduce.wgsl: a workgroup per output, folding in workgroup memory) for the rest — long axes of
 * few outputs, and rows (inner = 1), which one invocation would read with a stride.
 */
export function reduceStrategy(n: number, inner: number): 'serial' | 'workgroup' {
  return n <= 32 || (inner >= 32 && n <= 4096) ? 'serial' : 'workgroup';
}

/** `into`, when given, receives the result (a tensor of the result's size) instead of a fresh tensor. */
export function reduce(op: ReduceOp, x: Tensor, axis: number, keepDims = false, into?: Tensor | null): Tensor {
  const rt = x.runtime;
  const { outer, n, inner, axis: ax } = splitAxis(x.shape, axis);
  const shape = reducedShape(x.shape, ax, keepDims);
  if (into && into.size !== outer * inner)
    throw new Error(`reduce: output [${into.shape.join(', ')}] given for a result of [${shape.join(', ')}]`);
  const out = into ?? new Tensor(rt, shape);
  const uniforms = { outer, n, inner, scale: op === 'mean' ? 1 / n : 1 };
  if (reduceStrategy(n, inner) === 'serial') {
    const kernel = rt.kernelOf(serialDef(op), { WG: SERIAL_WG });
    rt.dispatch(kernel, { x_in: x, out }, uniforms, grid1d(outer * inner, SERIAL_WG));
    return out;
  }
  const wg = Math.min(256, rt.maxInvocations);
  const kernel = rt.kernelOf(workgroupDefs[rt.gpu.features.subgroups ? 1 : 0]!(op), { WG: wg });
  rt.dispatch(kernel, { x_in: x, out }, uniforms, grid1d(outer * inner, 1));
  return out;
}

export function reduceRef(op: ReduceOp, x: HostTensor, axis: number, keepDims = false): HostTensor {
  const { outer, n, inner, axis: ax } = splitAxis(x.shape, axis);
  const { ref, init } = REDUCE[op];
  const data = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < inner; k++) {
      let acc: number = init;
      for (let j = 0; j < n; j++) acc = ref(acc, x.data[(o * n + j) * inner + k]!);
      data[o * inner + k] = op === 'mean' ? acc / n : acc;
    }
  }
  return { shape: reducedShape(x.shape, ax, keepDims), data };
}

// ---- Backward rule (autograd): every element of the reduced axis receives the output's gradient
// (divided by n for a mean). max has no rule yet.

/** Differentiable sum or mean along one axis. */
export function reduceOp(op: 'sum' | 'mean', x: Tensor, axis: number, keepDims = false): Tensor {
  const out = reduce(op, x, axis, keepDims);
  const { axis: ax, n } = splitAxis(x.shape, axis);
  return record(op, out, [x], (g) => {
    const spread = broadcastTo(g.reshape(reducedShape(x.shape, ax, true)), x.shape);
    if (op === 'sum') return [spread];
    const scaled = unary('scale', spread, 1 / n);
    spread.dispose();
    return [scaled];
  });
}
