// Zero-shot metrics against hand-computed values and a brute-force pairwise AUC.
import { describe, expect, it } from 'vitest';
import type { EntitySet } from '../src/ober/entities.js';
import { classPrompts, promptScores, rocAuc, zeroShotMetrics } from '../src/eval/classification.js';
import { randomData } from './helpers/random.js';

/** P(score of a positive > score of a negative) + ½·P(equal), by counting every pair. */
function pairwiseAuc(scores: number[], labels: boolean[]): number {
  let wins = 0;
  let pairs = 0;
  labels.forEach((pi, i) => {
    if (!pi) return;
    labels.forEach((pj, j) => {
      if (pj) return;
      pairs++;
      wins += scores[i]! > scores[j]! ? 1 : scores[i] === scores[j] ? 0.5 : 0;
    });
  });
  return wins / pairs;
}

describe('rocAuc', () => {
  it('hand-computed case with ties across classes', () => {
    // positives 0.8, 0.5; negatives 0.5, 0.2: pairs (0.8>0.5)=1, (0.8>0.2)=1, (0.5=0.5)=½, (0.5>0.2)=1 → 3.5/4.
    expect(rocAuc([0.8, 0.5, 0.5, 0.2], [true, true, false, false])).toBe(3.5 / 4);
    expect(rocAuc([1, 1, 1, 1], [true, false, true, false])).toBe(0.5);
    expect(rocAuc([0, 1], [true, false])).toBe(0);
  });
  it('equals the brute-force pairwise count on random data with many ties', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const scores = Array.from(randomData(40, seed, 0, 5), Math.floor);
      const labels = Array.from(randomData(40, seed + 100), (v) => v > 0.3);
      expect(rocAuc(scores, labels)).toBeCloseTo(pairwiseAuc(scores, labels), 12);
    }
  });
  it('is undefined without positives or without negatives', () => {
    expect(rocAuc([1, 2], [false, false])).toBeNaN();
    expect(rocAuc([1, 2], [true, true])).toBeNaN();
  });
});

describe('zeroShotMetrics', () => {
  const none = { adjectives: [], directions: [] };
  const truth: EntitySet[] = [
    { Edema: none },
    { Edema: none, Pneumothorax: none },
    { 'No Finding': none },
    { Pneumothorax: none },
  ];
  // Columns: Edema, Pneumothorax, Fracture (no positives). Threshold: score > 0 (0 itself is negative).
  const scores = [
    0.3,
    -0.1,
    0.2, //
    -0.2,
    0.4,
    -0.5, //
    0.1,
    0,
    -0.1, //
    -0.4,
    0.2,
    -0.3,
  ];
  const r = zeroShotMetrics(['Edema', 'Pneumothorax', 'Fracture'], scores, truth);

  it('per class: F1 at threshold 0, accuracy, AUC', () => {
    // Edema: predicted {0, 2}, truth {0, 1}: TP 1, FP 1, FN 1 → F1 ½, accuracy 2/4; AUC: 0.3 beats 0.1, -0.4; -0.2 beats -0.4 → 3/4.
    expect(r.classes[0]).toEqual({
      className: 'Edema',
      positives: 2,
      negatives: 2,
      auc: 3 / 4,
      accuracy: 0.5,
      f1: 0.5,
    });
    // Pneumothorax: predicted {1, 3}, truth {1, 3}: F1 1, accuracy 1, AUC 1.
    expect(r.classes[1]).toEqual({ className: 'Pneumothorax', positives: 2, negatives: 2, auc: 1, accuracy: 1, f1: 1 });
  });
  it('a class without positives has NaN F1 and AUC, is left out of the macro means, and its false positive costs accuracy', () => {
    expect(r.classes[2]!.f1).toBeNaN();
    expect(r.classes[2]!.auc).toBeNaN();
    expect(r.classes[2]!.accuracy).toBe(3 / 4);
    expect(r.macroF1).toBe((0.5 + 1) / 2);
    expect(r.macroAuc).toBe((0.75 + 1) / 2);
    expect(r.meanAccuracy).toBeCloseTo((0.5 + 1 + 0.75) / 3, 12);
  });
  it('rejects a score array of the wrong size', () => {
    expect(() => zeroShotMetrics(['Edema'], [1, 2], truth)).toThrow(/4 images × 1 classes/);
  });
});

describe('prompts', () => {
  it('builds report-like sentences from the preferred term', () => {
    expect(classPrompts('Pleural Effusion')).toEqual({
      positive: 'There is pleural effusion.',
      negative: 'No pleural effusion.',
    });
    expect(classPrompts('No Finding').positive).toBe('The chest is normal.');
    expect(() => classPrompts('Broken Heart')).toThrow(/not an ontology class/);
  });
  it('promptScores is the cosine difference', () => {
    const img = Float32Array.from([1, 0, 0, 1]);
    const pos = Float32Array.from([0.6, 0.8]);
    const neg = Float32Array.from([1, 0]);
    expect(Array.from(promptScores(img, pos, neg, 2)).map((v) => +v.toFixed(6))).toEqual([-0.4, 0.8]);
  });
});
