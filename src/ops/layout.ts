// Data movement: permute (transpose) and broadcastTo share shaders/strided_copy.wgsl; gather along an axis
// uses shaders/gather.wgsl. Float64 references beside each.
import { clone, record } from '../tensor/tape.js';
import { defineKernel, grid1d } from '../gpu/runtime.js';
import { broadcastShapes, broadcastStrides, type HostTensor } from '../tensor/host.js';
import { sameShape, stridesOf, Tensor, type Shape } from '../tensor/tensor.js';

const WG = 64;
const MAX_RANK = 8;
const stridedCopyDef = defineKernel({ shader: 'strided_copy' });
const gatherDef = defineKernel({ shader: 'gather' });

/** [outer, n, inner] around `axis` (negative axes count from the end). */
export function splitAxis(shape: Shape, axis: number): { outer: number; n: number; inner: number; axis: number } {
  const ax = axis < 0 ? axis + shape.length : axis;
  if (ax < 0 || ax >= shape.length) throw new Error(`axis ${axis} out of range for shape [${shape.join(', ')}]`);
  const outer = shape.slice(0, ax).reduce((p, d) => p * d, 1);
  const inner = shape.slice(ax + 1).reduce((p, d) => p * d, 1);
  return { outer, n: shape[ax]!, inner, axis: ax };
}

function pack(values: number[]): number[] {
  if (values.length > MAX_RANK) throw new Error(`rank ${values.length} exceeds ${MAX_RANK}`);
  return [...values, ...new Array<number>(MAX_RANK - values.length).fill(0)];
}

function stridedCopy(x: Tensor, outShape: number[], inStrides: number[]): Tensor {
  const rt = x.runtime;
  const out = new Tensor(rt, outShape, x.dtype);
  const kernel = rt.kernelOf(stridedCopyDef, { WG });
  rt.dispatch(
    kernel,
    { x_in: x, out },
    { count: out.size, rank: outShape.length, out_shape: pack(outShape), in_strides: pack(inStrides) },
    grid1d(out.size, WG),
  );
  return out;
}

function checkPerm(shape: Shape, perm: number[]): void {
  const ok = perm.length === shape.length && [...perm].sort((a, b) => a - b).every((p, i) => p === i);
  if (!ok) throw new Error(`permutation [${perm.join(', ')}] does not fit shape [${shape.join(', ')}]`);
}

/** out.shape[d] = x.shape[perm[d]]. Works for f32, i32 and u32 alike (it only moves bits). */
export function permute(x: Tensor, perm: number[]): Tensor {
  checkPerm(x.shape, perm);
  const strides = stridesOf(x.shape);
  return stridedCopy(
    x,
    perm.map((p) => x.shape[p]!),
    perm.map((p) => strides[p]!),
  );
}

export function permuteRef(x: HostTensor, perm: number[]): HostTensor {
  checkPerm(x.shape, perm);
  const shape = perm.map((p) => x.shape[p]!);
  const inStrides = stridesOf(x.shape);
  const outStrides = stridesOf(shape);
  const data = new Float64Array(x.data.length);
  for (let i = 0; i < data.length; i++) {
    let offset = 0;
    for (let d = 0; d < shape.length; d++)
      offset += (Math.floor(i / outStrides[d]!) % shape[d]!) * inStrides[perm[d]!]!;
    data[i] = x.data[offset]!;
  }
  return { shape, data };
}

/** Swaps the last two axes. */
export function transpose(x: Tensor): Tensor {
  const perm = x.shape.map((_, i) => i);
  perm.splice(-2, 2, x.rank - 1, x.rank - 2);
  return permute(x, perm);
}

export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  if (!sameShape(broadcastShapes(x.shape, shape), shape))
    throw new Error(`cannot broadcast [${x.shape.join(', ')}] to [${shape.join(', ')}]`);
  return stridedCopy(x, [...shape], broadcastStrides(x.shape, shape));
}

/** Gather slices along `axis` by i32 indices: out.shape = x.shape with x.shape[axis] replaced by indices.size. */
export function gather(x: Tensor, indices: Tensor, axis: number): Tensor {
  if (indices.dtype !== 'i32') throw new Error(`gather: indices must be i32, got ${indices.dtype}`);
  const rt = x.runtime;
  const { n, inner, axis: ax } = splitAxis(x.shape, axis);
  const m = indices.size;
  const out = new Tensor(
    rt,
    x.shape.map((d, i) => (i === ax ? m : d)),
    x.dtype,
  );
  const kernel = rt.kernelOf(gatherDef, { WG });
  rt.dispatch(kernel, { x_in: x, indices, out }, { count: out.size, n, m, inner }, grid1d(out.size, WG));
  return out;
}

export function gatherRef(x: HostTensor, indices: ArrayLike<number>, axis: number): HostTensor {
  const { outer, n, inner, axis: ax } = splitAxis(x.shape, axis);
  const m = indices.length;
  const data = new Float64Array(outer * m * inner);
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < m; j++) {
      const index = indices[j]!;
      for (let k = 0; k < inner; k++)
        data[(o * m + j) * inner + k] = index >= 0 && index < n ? x.data[(o * n + index) * inner + k]! : 0;
    }
  return { shape: x.shape.map((d, i) => (i === ax ? m : d)), data };
}

// ---- Backward rules (autograd). Gradients handed on must own their buffers, so the differentiable reshape
// copies (a view would die with the tensor it aliases).

/** Differentiable permute: the gradient is permuted back by the inverse permutation. */
export function permuteOp(x: Tensor, perm: number[]): Tensor {
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, i) => (inverse[p] = i));
  return record('permute', permute(x, perm), [x], (g) => [permute(g, inverse)]);
}

/** Differentiable reshape (an owning copy, not a view). */
export function reshapeOp(x: Tensor, shape: Shape): Tensor {
  return record('reshape', clone(x.reshape(shape)), [x], (g) => [clone(g.reshape(x.shape))]);
}

/** Differentiable broadcastTo: autograd sums the gradient back to x's shape. */
export function broadcastToOp(x: Tensor, shape: Shape): Tensor {
  return record('broadcastTo', broadcastTo(x, shape), [x], (g) => [g]);
}
