// Zero-shot classification metrics: each image gets a score per class (typically cos(image, positive
// prompt) − cos(image, negative prompt)); an image is predicted positive for a class when its score > 0.
// Ground truth: the class is a key of the image's EntitySet.
// Conventions (tested in test/eval-classification.test.ts):
//   - ROC AUC is the Mann-Whitney statistic with tied scores given their average rank, i.e. the chance that
//     a random positive outscores a random negative, ties counting one half. Undefined (NaN) for a class
//     without positives or without negatives.
//   - F1 = 2·TP / (2·TP + FP + FN). A class with no ground-truth positive has no defined F1 or AUC: it is
//     reported with NaN and left out of macro-F1 and macro-AUC (counting it as 0 would cap the macro
//     average by how many ontology classes the evaluation set happens to lack). Its false positives still
//     lower its accuracy.
//   - Accuracy is per class, (TP + TN) / images; meanAccuracy averages it over all classes.
import type { EntitySet } from '../ober/entities.js';
import { loadOntology } from '../ober/ontology.js';

export interface ClassScore {
  className: string;
  positives: number;
  negatives: number;
  auc: number;
  accuracy: number;
  f1: number;
}

export interface ZeroShotResults {
  classes: ClassScore[];
  /** Mean AUC over classes where it is defined. */
  macroAuc: number;
  /** Mean F1 over classes with at least one positive. */
  macroF1: number;
  meanAccuracy: number;
  images: number;
}

/** Exact ROC AUC by the rank-sum formula with average ranks for ties. */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<boolean>): number {
  const n = scores.length;
  if (labels.length !== n) throw new Error(`rocAuc: ${n} scores but ${labels.length} labels`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let positives = 0;
  let rankSum = 0;
  for (let start = 0; start < n; ) {
    let end = start;
    while (end + 1 < n && scores[order[end + 1]!] === scores[order[start]!]) end++;
    const averageRank = (start + end) / 2 + 1;
    for (let i = start; i <= end; i++) {
      if (labels[order[i]!]) {
        positives++;
        rankSum += averageRank;
      }
    }
    start = end + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

function classScore(className: string, scores: ArrayLike<number>, labels: boolean[]): ClassScore {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  labels.forEach((positive, i) => {
    const predicted = scores[i]! > 0;
    if (predicted && positive) tp++;
    else if (predicted) fp++;
    else if (positive) fn++;
  });
  const positives = tp + fn;
  return {
    className,
    positives,
    negatives: labels.length - positives,
    auc: rocAuc(scores, labels),
    accuracy: (labels.length - fp - fn) / labels.length,
    f1: positives === 0 ? NaN : (2 * tp) / (2 * tp + fp + fn),
  };
}

function meanDefined(xs: number[]): number {
  const defined = xs.filter((x) => !Number.isNaN(x));
  return defined.length ? defined.reduce((a, b) => a + b, 0) / defined.length : NaN;
}

/** Metrics of row-major scores [images, classes] against the truth of each image. */
export function zeroShotMetrics(
  classNames: readonly string[],
  scores: ArrayLike<number>,
  truth: readonly EntitySet[],
): ZeroShotResults {
  const [images, c] = [truth.length, classNames.length];
  if (scores.length !== images * c)
    throw new Error(`zeroShotMetrics: ${scores.length} scores, expected ${images} images × ${c} classes`);
  if (images === 0) throw new Error('zeroShotMetrics: no images');
  const classes = classNames.map((name, k) => {
    const column = Array.from({ length: images }, (_, i) => scores[i * c + k]!);
    return classScore(
      name,
      column,
      truth.map((t) => name in t),
    );
  });
  return {
    classes,
    macroAuc: meanDefined(classes.map((s) => s.auc)),
    macroF1: meanDefined(classes.map((s) => s.f1)),
    meanAccuracy: classes.reduce((a, s) => a + s.accuracy, 0) / c,
    images,
  };
}

export interface ClassPrompts {
  positive: string;
  negative: string;
}

/**
 * Report-like prompts for zero-shot scoring from the class's preferred ontology term (terms[0]):
 * "There is <term>." and "No <term>.", the way reports state findings and negate them. "No Finding" is the
 * absence of everything, so its prompts speak of the chest being normal or not.
 */
export function classPrompts(className: string): ClassPrompts {
  if (className === 'No Finding') return { positive: 'The chest is normal.', negative: 'The chest is abnormal.' };
  const cls = loadOntology().classes.find((c) => c.name === className);
  if (!cls) throw new Error(`classPrompts: '${className}' is not an ontology class (ontology/classes.json)`);
  const term = cls.terms[0]!;
  return { positive: `There is ${term}.`, negative: `No ${term}.` };
}

/** Per image and class: cos(image, positive prompt) − cos(image, negative prompt), all embeddings L2-normalised. */
export function promptScores(
  images: Float32Array,
  positives: Float32Array,
  negatives: Float32Array,
  dim: number,
): Float64Array {
  const [n, c] = [images.length / dim, positives.length / dim];
  if (!Number.isInteger(n) || !Number.isInteger(c) || negatives.length !== positives.length) {
    throw new Error(
      `promptScores: embeddings do not fit dimension ${dim} (${images.length}, ${positives.length}, ${negatives.length} values)`,
    );
  }
  const dot = (a: Float32Array, i: number, b: Float32Array, j: number) => {
    let s = 0;
    for (let t = 0; t < dim; t++) s += a[i * dim + t]! * b[j * dim + t]!;
    return s;
  };
  const out = new Float64Array(n * c);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < c; k++) out[i * c + k] = dot(images, i, positives, k) - dot(images, i, negatives, k);
  return out;
}
