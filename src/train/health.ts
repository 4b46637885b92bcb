// Training health, computed on the host from one batch read back at a log step: how the batch's triplets
// were formed (MedTrim objectives) and how spread out the embeddings are, so that a collapse shows in
// log.jsonl while it happens rather than only after evaluation.
import type { TrainConfig } from './config.js';

// A type alias (not an interface) so that it reads as a plain record of numbers in the report.
export type TrainingHealth = {
  /** Mean cosine between distinct image embeddings of the batch (1 = collapsed to one point). */
  imageCosine: number;
  textCosine: number;
  /** Share of anchors with at least one valid triplet (MedTrim objectives). */
  validAnchors?: number;
  /** Share of triplets whose negative scored inside the semi-hard band τmin ≤ S < τmax (the rest: below τmin). */
  bandNegatives?: number;
  /** Mean score S(anchor, positive) and S(anchor, negative) over the triplets. */
  positiveScore?: number;
  negativeScore?: number;
  /** Share of (triplet, term) hinges that are non-zero, i.e. that give a gradient. */
  activeTriplets?: number;
};

export interface HealthBatch {
  n: number;
  dim: number;
  /** L2-normalised rows [n, dim]. */
  img: Float32Array;
  txt: Float32Array;
  /** [n, n] MedTrim scores, when the objective mines. */
  scores?: Float32Array;
  /** The paper's mined indices (-1: none); absent for all-triplet mining. */
  positives?: Int32Array;
  negatives?: Int32Array;
}

function dot(x: Float32Array, i: number, y: Float32Array, j: number, dim: number): number {
  let s = 0;
  for (let k = 0; k < dim; k++) s += x[i * dim + k]! * y[j * dim + k]!;
  return s;
}

function meanPairwiseCosine(x: Float32Array, n: number, dim: number): number {
  if (n < 2) return NaN;
  let total = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) total += dot(x, i, x, j, dim);
  return total / ((n * (n - 1)) / 2);
}

/** The health figures of one batch; the triplets are those the configured mining forms. */
export function trainingHealth(
  b: HealthBatch,
  c: Pick<TrainConfig, 'margin' | 'eta' | 'tauMin' | 'tauMax' | 'triplets' | 'objective'>,
): TrainingHealth {
  const { n, dim, img, txt, scores } = b;
  const health: TrainingHealth = {
    imageCosine: meanPairwiseCosine(img, n, dim),
    textCosine: meanPairwiseCosine(txt, n, dim),
  };
  if (!scores) return health;
  const eta = c.objective === 'cross-modal' ? 0 : c.eta;
  const terms: [Float32Array, Float32Array][] = [
    ...(eta > 0
      ? ([
          [img, img],
          [txt, txt],
        ] as [Float32Array, Float32Array][])
      : []),
    ...(eta < 1
      ? ([
          [img, txt],
          [txt, img],
        ] as [Float32Array, Float32Array][])
      : []),
  ];
  let triplets = 0;
  let inBand = 0;
  let positiveScore = 0;
  let negativeScore = 0;
  let hinges = 0;
  let active = 0;
  const anchorsWithTriplet = new Set<number>();
  const visit = (a: number, p: number, q: number) => {
    const sq = scores[a * n + q]!;
    let kept = false;
    for (const [x, y] of terms) {
      const simP = dot(x, a, y, p, dim);
      const simQ = dot(x, a, y, q, dim);
      if (c.triplets === 'semihard' && !(simP > simQ && simQ + c.margin > simP)) continue;
      kept = true;
      hinges++;
      if (simQ - simP + c.margin > 0) active++;
    }
    if (!kept) return;
    anchorsWithTriplet.add(a);
    triplets++;
    positiveScore += scores[a * n + p]!;
    negativeScore += sq;
    if (sq >= c.tauMin && sq < c.tauMax) inBand++;
  };
  if (b.positives && b.negatives) {
    for (let a = 0; a < n; a++) if (b.positives[a]! >= 0) visit(a, b.positives[a]!, b.negatives[a]!);
  } else {
    for (let a = 0; a < n; a++) {
      for (let p = 0; p < n; p++) {
        for (let q = 0; q < n; q++) {
          const sp = scores[a * n + p]!;
          const sq = scores[a * n + q]!;
          if (p !== a && q !== a && sp > sq && sq < c.tauMax) visit(a, p, q);
        }
      }
    }
  }
  return {
    ...health,
    validAnchors: anchorsWithTriplet.size / n,
    bandNegatives: triplets ? inBand / triplets : 0,
    ...(triplets ? { positiveScore: positiveScore / triplets, negativeScore: negativeScore / triplets } : {}),
    activeTriplets: hinges ? active / hinges : 0,
  };
}
