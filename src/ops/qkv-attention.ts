// Self-attention with its query, key and value projections as one batched product. An optimizer's arena
// (src/ops/optim.ts) lays the parameters out in order, each at an aligned offset, so the three projections'
// weights and biases — and their gradient slots — sit at one stride: matmul.wgsl reads the three weights as the
// batches of one product, and writes the three weight gradients (bias gradients as its row sums) in one product
// too. Y [3, rows, out] = x·W_jᵀ + b_j gives q, k and v as its three planes, read in place by the fused attention
// kernels, whose gradients go straight into the planes of dY. Every float operation is the one the three linear
// layers do, in the same order, so the results are bit-identical to them; the input gradient stays three
// products summed in the store in the order backward() visits the layers (value, key, query), since one product
// over the concatenated planes would sum in another order.
import { isGradEnabled, record } from '../tensor/tape.js';
import type { Runtime } from '../gpu/runtime.js';
import { Tensor } from '../tensor/tensor.js';
import { attentionBackward, attentionForward, type AttentionOptions } from './attention.js';
import { chooseTiles, linearBackward, linearDims, stridedMatmul, type MatmulDims } from './matmul.js';

/** A linear layer's parameters. */
export interface Projection {
  weight: Tensor;
  bias: Tensor | null;
}

const disabled = new WeakSet<Runtime>();

/** Turns the fusion off (false) or back on for a runtime: tests and benchmarks compare both paths. */
export function useQkvFusion(rt: Runtime, enabled: boolean): void {
  if (enabled) disabled.delete(rt);
  else disabled.add(rt);
}

/** Bytes from the first tensor to the second and from the second to the third, when equal and in one buffer. */
function strideOf(tensors: readonly Tensor[]): number | null {
  const [a, b, c] = tensors as [Tensor, Tensor, Tensor];
  if (a.buffer !== b.buffer || b.buffer !== c.buffer) return null;
  const stride = b.byteOffset - a.byteOffset;
  return stride > 0 && c.byteOffset - b.byteOffset === stride ? stride : null;
}

interface QkvLayout {
  /** Bytes between the projections' weights, and between their biases, in the parameter buffer. */
  stride: number;
  /** The same between their gradient slots; null when no gradient is recorded. */
  gradStride: number | null;
}

/**
 * Whether the batched form applies, and its strides; null sends the caller to three linear layers. It needs the
 * three weights at one stride in one buffer with the biases at the same stride (an optimizer's arena: before one
 * exists, or for parameters it does not hold, each tensor has its own buffer), every view at a bindable offset,
 * including q, k and v at plane boundaries of Y (rows·out·4 bytes a multiple of the storage alignment), and, when
 * a gradient is recorded for the parameters, all six gradient slots laid out alike (the bias slot after its weight
 * slot, so the row sums reach it through the weight gradients' binding).
 */
function qkvLayout(x: Tensor, projections: readonly Projection[]): QkvLayout | null {
  const rt = x.runtime;
  if (projections.length !== 3) return null;
  const weights = projections.map((p) => p.weight);
  const biases = projections.map((p) => p.bias);
  if (biases.some((b) => !b)) return null;
  const params = [...weights, ...(biases as Tensor[])];
  if (params.some((p) => p.dtype !== 'f32') || x.dtype !== 'f32') return null;
  const [w, b] = [weights[0]!, biases[0]!];
  const out = w.shape[0]!;
  if (weights.some((t) => t.rank !== 2 || t.shape[0] !== out || t.shape[1] !== x.shape.at(-1))) return null;
  if (biases.some((t) => t!.size !== out)) return null;
  const align = rt.storageAlign;
  const rows = x.size / w.shape[1]!;
  if (rows === 0 || (rows * out * 4) % align !== 0) return null;
  const stride = strideOf(weights);
  if (stride === null || strideOf(biases as Tensor[]) !== stride || w.buffer !== b.buffer) return null;
  if (w.byteOffset % align !== 0 || b.byteOffset % align !== 0) return null;
  const training = params.filter((p) => p.requiresGrad).length;
  if (!isGradEnabled() || training === 0) return { stride, gradStride: null };
  if (training !== params.length) return null;
  const slots = params.map((p) => p.gradSlot);
  if (slots.some((s) => !s)) return null;
  const [wSlots, bSlots] = [slots.slice(0, 3) as Tensor[], slots.slice(3) as Tensor[]];
  const gradStride = strideOf(wSlots);
  if (gradStride === null || strideOf(bSlots) !== gradStride || wSlots[0]!.buffer !== bSlots[0]!.buffer) return null;
  if (bSlots[0]!.byteOffset <= wSlots[0]!.byteOffset || wSlots[0]!.byteOffset % align !== 0) return null;
  return { stride, gradStride };
}

/**
 * attention(x·W_qᵀ + b_q, x·W_kᵀ + b_k, x·W_vᵀ + b_v) over x [batch, seq, hidden] in the 'bshd' layout with
 * `heads` heads, differentiable in x and the six parameters; null when the parameters' layout does not allow
 * the batched product (see qkvLayout) or the fusion is off: the caller then runs the three linear layers.
 */
export function qkvAttention(
  x: Tensor,
  projections: readonly Projection[],
  opts: Pick<AttentionOptions, 'heads' | 'keyPadding'>,
): Tensor | null {
  const rt = x.runtime;
  if (disabled.has(rt)) return null;
  const layout = qkvLayout(x, projections);
  if (!layout) return null;
  const [qw, kw, vw] = projections.map((p) => p.weight) as [Tensor, Tensor, Tensor];
  const [qb, kb, vb] = projections.map((p) => p.bias!) as [Tensor, Tensor, Tensor];
  const linear = linearDims(x, qw, qb);
  const { m: rows, n: out, k: inFeatures } = linear;
  const planeShape = linear.outShape;
  const y = new Tensor(rt, [3, ...planeShape]);
  const forward: MatmulDims = {
    batch: 3,
    batchA: 1,
    batchB: 3,
    m: rows,
    n: out,
    k: inFeatures,
    outShape: [...y.shape],
  };
  stridedMatmul({ transB: true }, forward, chooseTiles(x, qw, { transB: true }, linear), {
    a: x,
    b: {
      view: { buffer: qw.buffer, byteOffset: qw.byteOffset, byteLength: vw.byteOffset + vw.byteLength - qw.byteOffset },
      batchStride: layout.stride / 4,
    },
    bias: {
      view: { buffer: qb.buffer, byteOffset: qb.byteOffset, byteLength: vb.byteOffset + vb.byteLength - qb.byteOffset },
      batchStride: layout.stride / 4,
    },
    c: { view: y, batchStride: rows * out },
  });
  const planes = (t: Tensor) =>
    [0, 1, 2].map((j) => t.view(j * rows * out * 4, planeShape)) as [Tensor, Tensor, Tensor];
  const [q, k, v] = planes(y);
  const attentionOpts: AttentionOptions = { layout: 'bshd', heads: opts.heads, keyPadding: opts.keyPadding };
  const { out: context, lse } = attentionForward(q, k, v, attentionOpts);
  const inputs = [x, qw, qb, kw, kb, vw, vb];
  return record(
    'qkv-attention',
    context,
    inputs,
    (dContext, { into, takePending }) => {
      const dy = new Tensor(rt, y.shape);
      const [dq, dk, dv] = planes(dy);
      attentionBackward(q, k, v, context, lse, dContext, attentionOpts, { dq, dk, dv });
      const dyPlanes = [dq, dk, dv];
      // In the inputs' order: weight and bias of query, key, value.
      const paramGrads: (Tensor | null)[] = [null, null, null, null, null, null];
      if (layout.gradStride !== null) {
        const slots = into.slice(1);
        if (slots.every((s) => s)) {
          weightGradients(x, dy, dq, slots as Tensor[], layout.gradStride, linear);
          slots.forEach((s, i) => (paramGrads[i] = s));
        } else {
          // A parameter whose gradient is summed with another use's (backward() offers no slot for it): each
          // projection on its own, exactly as linearOp's backward does it.
          dyPlanes.forEach((dyj, j) => {
            const { dweight, dbias } = linearBackward(
              dyj,
              x,
              projections[j]!.weight,
              projections[j]!.bias,
              { x: false, weight: true, bias: true },
              { weightInto: into[1 + 2 * j], biasInto: into[2 + 2 * j] },
            );
            [paramGrads[2 * j], paramGrads[2 * j + 1]] = [dweight, dbias];
          });
        }
      }
      let dx: Tensor | null = null;
      if (x.requiresGrad) {
        // backward() ran the separate layers' rules value first, then key, then query, each adding x's gradient
        // so far in its store.
        dx = takePending(0);
        for (const j of [2, 1, 0]) {
          const { weight, bias } = projections[j]!;
          const need = { x: true, weight: false, bias: false };
          const sum = linearBackward(dyPlanes[j]!, x, weight, bias, need, { pending: dx }).dx!;
          if (j !== 2) dx!.dispose();
          dx = sum;
        }
      }
      dy.dispose();
      return [dx, ...paramGrads];
    },
    [y, lse],
  );
}

/**
 * dW_j = dY_jᵀ·x for the three planes of dy in one product, written at the weight slots' stride, with the bias
 * gradients (the row sums of dY_jᵀ) at the bias slots' stride. `slots`: weight and bias slot of query, key, value.
 */
function weightGradients(
  x: Tensor,
  dy: Tensor,
  firstPlane: Tensor,
  slots: readonly Tensor[],
  gradStride: number,
  linear: MatmulDims,
): void {
  const { m: rows, n: out, k: inFeatures } = linear;
  const [wq, bq, , , , bv] = slots as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor];
  // One linear layer's weight-gradient product (linearBackward's), batched over the planes.
  const single: MatmulDims = {
    batch: 1,
    batchA: 1,
    batchB: 1,
    m: out,
    n: inFeatures,
    k: rows,
    outShape: [out, inFeatures],
  };
  const batched: MatmulDims = { ...single, batch: 3, batchA: 3, outShape: [3, out, inFeatures] };
  stridedMatmul({ transA: true }, batched, chooseTiles(firstPlane, x, { transA: true }, single), {
    a: dy,
    b: { view: x, batchStride: 0 },
    c: {
      view: { buffer: wq.buffer, byteOffset: wq.byteOffset, byteLength: bv.byteOffset + bv.byteLength - wq.byteOffset },
      batchStride: gradStride / 4,
    },
    rowSumsInC: { offset: (bq.byteOffset - wq.byteOffset) / 4, batchStride: gradStride / 4 },
  });
}
