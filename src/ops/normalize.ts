// L2 normalisation along the last axis (forward shaders/l2normalize.wgsl, backward
// shaders/l2normalize_backward.wgsl), and the cosine-similarity matrix and pairwise cosine distance built
// from it and matmul through autograd. Float64 references beside each.
import { record } from '../tensor/tape.js';
import { kernelDefs } from '../gpu/runtime.js';
import type { HostTensor } from '../tensor/host.js';
import { Tensor } from '../tensor/tensor.js';
import { unaryOp } from './elementwise.js';
import { matmulOp } from './matmul.js';
import { rowLayout, rowsOf } from './row-layout.js';

/** PyTorch's F.normalize default. */
const EPS = 1e-12;

const rowKernelDef = kernelDefs((shader: 'l2normalize' | 'l2normalize_backward') => ({
  shader,
}));

function rowKernel(
  shader: 'l2normalize' | 'l2normalize_backward',
  buffers: Record<string, Tensor>,
  x: Tensor,
  eps: number,
): void {
  const { rows, n } = rowsOf(x, 'l2normalize');
  const rt = x.runtime;
  const layout = rowLayout(rt, rows, n);
  const kernel = rt.kernelOf(rowKernelDef(shader), layout.constants);
  rt.dispatch(kernel, buffers, { rows, n, eps }, layout.grid);
}

/** x / max(‖x‖₂, eps) for each row (last axis). */
export function l2normalize(x: Tensor, eps = EPS): Tensor {
  const y = new Tensor(x.runtime, x.shape);
  rowKernel('l2normalize', { x_in: x, y }, x, eps);
  return record('l2normalize', y, [x], (dy) => {
    const dx = new Tensor(x.runtime, x.shape);
    rowKernel('l2normalize_backward', { x_in: x, dy, dx }, x, eps);
    return [dx];
  });
}

/** Cosine similarity of every row of a [n, d] with every row of b [m, d] → [n, m]. */
export function cosineSimilarity(a: Tensor, b: Tensor, eps = EPS): Tensor {
  const an = l2normalize(a, eps);
  const bn = l2normalize(b, eps);
  return matmulOp(an, bn, { transB: true });
}

/** 1 − cosine similarity for every pair of rows of a and b → [n, m]. */
export function cosineDistance(a: Tensor, b: Tensor, eps = EPS): Tensor {
  const similarity = cosineSimilarity(a, b, eps);
  return unaryOp('addScalar', unaryOp('neg', similarity), 1);
}

export function l2normalizeRef(x: HostTensor, eps = EPS): HostTensor {
  const n = x.shape.at(-1)!;
  const data = new Float64Array(x.data.length);
  for (let base = 0; base < data.length; base += n) {
    const row = x.data.subarray(base, base + n);
    const d = Math.max(Math.hypot(...row), eps);
    row.forEach((v, j) => (data[base + j] = v / d));
  }
  return { shape: [...x.shape], data };
}

export function cosineSimilarityRef(a: HostTensor, b: HostTensor, eps = EPS): HostTensor {
  const an = l2normalizeRef(a, eps);
  const bn = l2normalizeRef(b, eps);
  const d = a.shape.at(-1)!;
  const [n, m] = [a.data.length / d, b.data.length / d];
  const data = new Float64Array(n * m);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < m; j++) {
      let dot = 0;
      for (let k = 0; k < d; k++) dot += an.data[i * d + k]! * bn.data[j * d + k]!;
      data[i * m + j] = dot;
    }
  return { shape: [n, m], data };
}

export function cosineDistanceRef(a: HostTensor, b: HostTensor, eps = EPS): HostTensor {
  const s = cosineSimilarityRef(a, b, eps);
  return { shape: s.shape, data: s.data.map((v) => 1 - v) };
}
