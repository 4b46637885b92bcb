// The training objectives on a batch of L2-normalised embeddings: InfoNCE, and MedTrim's four triplet terms
// with triplets formed in one of three ways (TrainConfig.triplets). `paper` mines one triplet per anchor on
// the GPU and runs the fused triplet kernel (src/ops/triplet.ts); `all` and `semihard` are composed from
// differentiable ops over every (anchor, positive, negative) of the batch, with validity masks computed
// without gradients. `allTripletLossRef` is their float64 reference.
import {
  add,
  crossEntropy,
  div,
  exp,
  matmul,
  mul,
  noGrad,
  permute,
  relu,
  reshape,
  scale,
  sub,
  sum,
} from '../autograd/index.js';
import { encodeBatch } from '../mining/encode.js';
import type { EntitySet } from '../ober/entities.js';
import { mineTripletsGpu, scoreMatrixGpu, uploadEntities } from '../mining/score-gpu.js';
import { binary, unary, unaryOp } from '../ops/elementwise.js';
import { medtrimTripletLoss } from '../ops/triplet.js';
import type { Runtime } from '../gpu/runtime.js';
import { type Tensor, tensorFrom } from '../tensor/tensor.js';
import { effectiveLossSettings, type TrainConfig } from './config.js';

/** What a step's objective produced: the loss, and for MedTrim the score matrix and mined indices. */
export interface ObjectiveOutput {
  loss: Tensor;
  /** S(anchor, sample) of the batch, [n, n] (MedTrim objectives only). */
  scores?: Tensor;
  /** The paper's mined positive and negative per anchor, -1 where none (`triplets: 'paper'` only). */
  positives?: Tensor;
  negatives?: Tensor;
}

/** The four MedTrim terms: anchors' modality, positives'/negatives' modality, and the term's weight. */
function tripletTerms<T>(img: T, txt: T, eta: number): [T, T, number][] {
  return [
    [img, img, eta],
    [txt, txt, eta],
    [img, txt, 1 - eta],
    [txt, img, 1 - eta],
  ];
}

/** Small constant tensors of the loss, uploaded once per runtime and kept (not once per training step). */
const constants = new WeakMap<Runtime, Map<string, Tensor>>();
function constant(rt: Runtime, key: string, make: () => Tensor): Tensor {
  let byKey = constants.get(rt);
  if (!byKey) constants.set(rt, (byKey = new Map()));
  let t = byKey.get(key);
  if (!t) byKey.set(key, (t = make().keep()));
  return t;
}

/**
 * valid[a, p, q] = 1 when S(a,p) > S(a,q), S(a,q) < τmax and p ≠ a ≠ q: every ordering the score admits
 * with a negative outside the similar range. [n, n, n], no gradient.
 */
function scoreOrderMask(scores: Tensor, tauMax: number): Tensor {
  const rt = scores.runtime;
  const n = scores.shape[0]!;
  const notSelf = constant(rt, `notSelf ${n}`, () =>
    tensorFrom(
      rt,
      Array.from({ length: n * n }, (_, k) => (Math.floor(k / n) === k % n ? 0 : 1)),
      [n, n],
    ),
  );
  const tau = constant(rt, `tauMax ${tauMax}`, () => tensorFrom(rt, [tauMax], [1, 1]));
  const negativeOk = mul(binary('greater', tau, scores), notSelf);
  const ordered = binary('greater', reshape(scores, [n, n, 1]), reshape(scores, [n, 1, n]));
  return mul(mul(ordered, reshape(notSelf, [n, n, 1])), reshape(negativeOk, [n, 1, n]));
}

/**
 * The four-term hinge averaged over each term's triplets: Σ_terms w · mean_{valid (a,p,q)} [s(a,q) − s(a,p) + α]₊
 * with s the cosine similarity (d = 1 − s on unit rows). `semihard` keeps only the triplets whose negative
 * is farther than the positive but within the margin (s(a,p) − α < s(a,q) < s(a,p)), chosen at this step.
 */
export function allTripletLoss(
  img: Tensor,
  txt: Tensor,
  scores: Tensor,
  o: { margin: number; eta: number; tauMax: number; semihard: boolean },
): Tensor {
  const n = img.shape[0]!;
  const valid = noGrad(() => scoreOrderMask(scores, o.tauMax));
  let loss: Tensor | null = null;
  for (const [anchors, others, weight] of tripletTerms(img, txt, o.eta)) {
    if (weight === 0) continue;
    const sim = matmul(anchors, others, { transB: true });
    const simP = reshape(sim, [n, n, 1]);
    const simQ = reshape(sim, [n, 1, n]);
    const mask = noGrad(() => {
      if (!o.semihard) return valid;
      const farther = binary('greater', simP, simQ);
      const withinMargin = binary('greater', unary('addScalar', simQ, o.margin), simP);
      return mul(mul(valid, farther), withinMargin);
    });
    const hinge = relu(unaryOp('addScalar', sub(simQ, simP), o.margin));
    const count = noGrad(() =>
      binary(
        'maximum',
        sum(reshape(mask, [n * n * n]), 0),
        constant(img.runtime, 'one', () => tensorFrom(img.runtime, [1], [])),
      ),
    );
    const term = scale(div(sum(reshape(mul(hinge, mask), [n * n * n]), 0), count), weight);
    loss = loss ? add(loss, term) : term;
  }
  if (!loss) throw new Error('allTripletLoss: every term has weight 0');
  return loss;
}

/** Float64 reference of allTripletLoss (rows of img and txt must be unit length). */
export function allTripletLossRef(
  img: Float64Array,
  txt: Float64Array,
  scores: ArrayLike<number>,
  n: number,
  o: { margin: number; eta: number; tauMax: number; semihard: boolean },
): number {
  const dim = img.length / n;
  const dot = (x: Float64Array, i: number, y: Float64Array, j: number) => {
    let s = 0;
    for (let k = 0; k < dim; k++) s += x[i * dim + k]! * y[j * dim + k]!;
    return s;
  };
  let loss = 0;
  for (const [x, y, w] of tripletTerms(img, txt, o.eta)) {
    if (w === 0) continue;
    let total = 0;
    let count = 0;
    for (let a = 0; a < n; a++) {
      for (let p = 0; p < n; p++) {
        for (let q = 0; q < n; q++) {
          const sp = scores[a * n + p]!;
          const sq = scores[a * n + q]!;
          if (p === a || q === a || !(sp > sq) || !(sq < o.tauMax)) continue;
          const simP = dot(x, a, y, p);
          const simQ = dot(x, a, y, q);
          if (o.semihard && !(simP > simQ && simQ + o.margin > simP)) continue;
          count++;
          total += Math.max(0, simQ - simP + o.margin);
        }
      }
    }
    loss += (w * total) / Math.max(1, count);
  }
  return loss;
}

/** The objective's loss for one batch of normalised embeddings; records the backward graph. */
export function objectiveLoss(
  config: TrainConfig,
  img: Tensor,
  txt: Tensor,
  entities: EntitySet[],
  logitScale: Tensor,
): ObjectiveOutput {
  const rt = img.runtime;
  if (config.objective === 'infonce') {
    const n = img.shape[0]!;
    const logits = mul(matmul(img, txt, { transB: true }), exp(logitScale));
    const targets = tensorFrom(
      rt,
      Array.from({ length: n }, (_, i) => i),
      [n],
      'i32',
    );
    return { loss: scale(add(crossEntropy(logits, targets), crossEntropy(permute(logits, [1, 0]), targets)), 0.5) };
  }
  const { gammas, eta } = effectiveLossSettings(config);
  const scores = noGrad(() => {
    const batch = uploadEntities(rt, encodeBatch(entities));
    return scoreMatrixGpu(rt, batch, batch, gammas);
  });
  if (config.triplets !== 'paper') {
    const loss = allTripletLoss(img, txt, scores, {
      margin: config.margin,
      eta,
      tauMax: config.tauMax,
      semihard: config.triplets === 'semihard',
    });
    return { loss, scores };
  }
  const mined = noGrad(() => mineTripletsGpu(rt, scores, { tauMin: config.tauMin, tauMax: config.tauMax }));
  return {
    loss: medtrimTripletLoss(img, txt, mined.positives, mined.negatives, { margin: config.margin, eta }),
    scores,
    ...mined,
  };
}
