// The MedTrim score between an anchor a and a sample r (arXiv 2504.15929):
//   S(a,r) = γ0·J(Da,Dr) + γ1·(1/|Da|)·Σ_{d∈Da∩Dr} IoU(Adj_a(d),Adj_r(d)) + γ2·(1/|Da|)·Σ_{d∈Da∩Dr} IoU(Dir_a(d),Dir_r(d))
// Da, Dr are the positive disease classes (keys of the EntitySet). Asymmetric by design: the descriptor
// terms average over the anchor's classes. Empty-set conventions (all tested):
//   - IoU(∅,∅) = 1 (two findings both described without descriptors agree); IoU(∅,X) = 0 for X ≠ ∅.
//   - J(∅,∅) = 1; J(∅,X) = 0.
//   - |Da| = 0: the descriptor averages (1/|Da|)·Σ are undefined; they take J's value (1 when Dr is
//     empty too, else 0), so S(∅,∅) = γ0+γ1+γ2 and S(∅,X) = 0.
// This file is the float64 reference; encode.ts has the f32 bitmask version a GPU kernel mirrors.
import type { EntitySet } from '../ober/entities.js';

export interface Gammas {
  disease: number;
  adjective: number;
  direction: number;
}

export const defaultGammas: Gammas = { disease: 0.85, adjective: 0.1, direction: 0.05 };

function setRatio(inter: number, union: number): number {
  return union === 0 ? 1 : inter / union;
}

function iou(a: readonly string[], b: readonly string[]): number {
  const sa = new Set(a);
  const sb = new Set(b);
  let inter = 0;
  for (const x of sa) if (sb.has(x)) inter++;
  return setRatio(inter, sa.size + sb.size - inter);
}

export function medtrimScore(a: EntitySet, r: EntitySet, gammas: Gammas = defaultGammas): number {
  const da = Object.keys(a);
  const shared = da.filter((d) => d in r);
  const union = da.length + Object.keys(r).length - shared.length;
  const jaccard = setRatio(shared.length, union);
  let adjectiveMean = jaccard;
  let directionMean = jaccard;
  if (da.length > 0) {
    adjectiveMean = shared.reduce((s, d) => s + iou(a[d].adjectives, r[d].adjectives), 0) / da.length;
    directionMean = shared.reduce((s, d) => s + iou(a[d].directions, r[d].directions), 0) / da.length;
  }
  return gammas.disease * jaccard + gammas.adjective * adjectiveMean + gammas.direction * directionMean;
}

/** Row-major n×n matrix: entry [i*n + j] = S(samples[i] as anchor, samples[j]). */
export function medtrimScoreMatrix(samples: EntitySet[], gammas: Gammas = defaultGammas): Float64Array {
  const n = samples.length;
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i * n + j] = medtrimScore(samples[i], samples[j], gammas);
  return out;
}
