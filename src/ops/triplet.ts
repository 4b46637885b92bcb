// The MedTrim objective: four triplet terms (image→image, text→text, image→text, text→image) on cosine
// distance with margin α and a weight η between within-modal and cross-modal terms, fed by the mined index
// triplets (src/mining/score-gpu.ts). One forward kernel and one backward kernel, shaders/medtrim_triplet*.wgsl;
// the differentiable op records the backward rule, and the float64 reference (loss and both gradients) sits
// below. Inputs must be L2-normalised rows (l2normalize), so d(a, b) = 1 − a·b.
import { record } from '../tensor/tape.js';
import { defineKernel, grid1d } from '../gpu/runtime.js';
import type { HostTensor } from '../tensor/host.js';
import { Tensor } from '../tensor/tensor.js';
import { rowWorkgroup } from './row-layout.js';

export interface TripletOptions {
  /** α, default 0.3. */
  margin?: number;
  /** η: weight of the within-modal terms; the cross-modal terms get 1 − η. Default 0.5. */
  eta?: number;
}

const BACKWARD_WG = 64;
const tripletDef = defineKernel({ shader: 'medtrim_triplet' });
const tripletBackwardDef = defineKernel({ shader: 'medtrim_triplet_backward' });

function checkInputs(img: Tensor, txt: Tensor, positives: Tensor, negatives: Tensor): { n: number; dim: number } {
  if (img.rank !== 2 || img.shape.join() !== txt.shape.join()) {
    throw new Error(
      `medtrimTripletLoss: image [${img.shape.join(', ')}] and text [${txt.shape.join(', ')}] embeddings must both be [n, dim]`,
    );
  }
  const n = img.shape[0]!;
  for (const [name, t] of [
    ['positives', positives],
    ['negatives', negatives],
  ] as const) {
    if (t.dtype !== 'i32' || t.size !== n)
      throw new Error(`medtrimTripletLoss: ${name} must be ${n} i32 indices, got ${t.dtype}[${t.shape.join(', ')}]`);
  }
  return { n, dim: img.shape[1]! };
}

/** Mean over anchors with a valid triplet of the weighted four-term hinge loss; a scalar tensor. */
export function medtrimTripletLoss(
  img: Tensor,
  txt: Tensor,
  positives: Tensor,
  negatives: Tensor,
  options: TripletOptions = {},
): Tensor {
  const { margin = 0.3, eta = 0.5 } = options;
  const { n, dim } = checkInputs(img, txt, positives, negatives);
  const rt = img.runtime;
  const active = new Tensor(rt, [n, 4]);
  const stats = new Tensor(rt, [2]);
  const forward = rt.kernelOf(tripletDef, { WG: rowWorkgroup(rt, n) });
  rt.dispatch(forward, { img, txt, positives, negatives, open_weight: active, stats }, { n, dim, margin, eta }, [1]);
  const loss = new Tensor(rt, []);
  rt.copy(stats, loss, 4);
  const rule = (g: Tensor) => {
    const dImg = new Tensor(rt, img.shape);
    const dTxt = new Tensor(rt, txt.shape);
    const backward = rt.kernelOf(tripletBackwardDef, { WG: BACKWARD_WG });
    rt.dispatch(
      backward,
      { img, txt, positives, negatives, open_weight: active, stats, g, d_img: dImg, d_txt: dTxt },
      { n, dim },
      grid1d(2 * n * dim, BACKWARD_WG),
    );
    return [dImg, dTxt];
  };
  return record('medtrimTripletLoss', loss, [img, txt], rule, [active, stats]);
}

/** Float64 reference: the loss and its gradients with respect to both embedding matrices. */
export function medtrimTripletLossRef(
  img: HostTensor,
  txt: HostTensor,
  positives: ArrayLike<number>,
  negatives: ArrayLike<number>,
  { margin = 0.3, eta = 0.5 }: TripletOptions = {},
): { loss: number; dImg: Float64Array; dTxt: Float64Array } {
  const [n, dim] = img.shape as [number, number];
  const row = (m: HostTensor, i: number) => m.data.subarray(i * dim, (i + 1) * dim);
  const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, v, k) => s + v * b[k]!, 0);
  const dImg = new Float64Array(n * dim);
  const dTxt = new Float64Array(n * dim);
  const grads = new Map<HostTensor, Float64Array>([
    [img, dImg],
    [txt, dTxt],
  ]);
  let total = 0;
  let valid = 0;
  // Per valid anchor: [anchor matrix, positive/negative matrix, weight] for ii, tt, it, ti.
  const terms: [HostTensor, HostTensor, number][] = [
    [img, img, eta],
    [txt, txt, eta],
    [img, txt, 1 - eta],
    [txt, img, 1 - eta],
  ];
  const open: [number, HostTensor, HostTensor, number][] = [];
  for (let i = 0; i < n; i++) {
    const p = positives[i]!;
    const q = negatives[i]!;
    if (p < 0 || q < 0) continue;
    valid++;
    for (const [anchors, others, w] of terms) {
      const h = dot(row(anchors, i), row(others, q)) - dot(row(anchors, i), row(others, p)) + margin;
      if (h > 0) {
        total += w * h;
        open.push([i, anchors, others, w]);
      }
    }
  }
  const inv = valid > 0 ? 1 / valid : 0;
  for (const [i, anchors, others, w] of open) {
    const p = positives[i]!;
    const q = negatives[i]!;
    const ga = grads.get(anchors)!;
    const go = grads.get(others)!;
    for (let k = 0; k < dim; k++) {
      ga[i * dim + k]! += w * inv * (others.data[q * dim + k]! - others.data[p * dim + k]!);
      go[p * dim + k]! -= w * inv * anchors.data[i * dim + k]!;
      go[q * dim + k]! += w * inv * anchors.data[i * dim + k]!;
    }
  }
  return { loss: total * inv, dImg, dTxt };
}
