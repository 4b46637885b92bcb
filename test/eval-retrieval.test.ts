// Retrieval metrics on tiny cases computed by hand (see the comments for each expected value).
import { describe, expect, it } from 'vitest';
import type { EntitySet } from '../src/ober/entities.js';
import { host } from '../src/tensor/host.js';
import { topkRef } from '../src/ops/topk.js';
import {
  chanceAveragePrecision,
  coarseLabel,
  evaluateRetrieval,
  fineLabel,
  perClassPrecision,
  retrievalMetrics,
  type Ranking,
} from '../src/eval/retrieval.js';

const PE = 'Pleural Effusion';
const CM = 'Cardiomegaly';
const d = (adjectives: string[], directions: string[]) => ({ adjectives, directions });

// coarse: 0, 1, 2 share {PE}; 3 and 4 are alone. fine: 0 and 2 agree (patchy is a shape, ignored); 1 is
// severe instead of mild; 3 and 4 are alone.
const truth: EntitySet[] = [
  { [PE]: d(['mild'], ['left']) },
  { [PE]: d(['severe'], ['left']) },
  { [PE]: d(['mild', 'patchy'], ['left']) },
  { 'No Finding': d([], []) },
  { [PE]: d([], []), [CM]: d([], []) },
];

// Same-modality rankings over the 4 other items, k = 5, so the last slot is always empty (-1).
const sameModality: Ranking = {
  k: 5,
  indices: Int32Array.from(
    [
      [2, 4, 1, 3, -1],
      [4, 3, 0, 2, -1],
      [0, 1, 3, 4, -1],
      [0, 1, 2, 4, -1],
      [0, 1, 2, 3, -1],
    ].flat(),
  ),
};

describe('retrievalMetrics', () => {
  const result = retrievalMetrics(sameModality, truth, { sameModality: true, rValues: [1, 3, 5] });

  it('coarse P@R divides by R even past the candidate list, and skips queries with no relevant item', () => {
    // q0 hits at ranks 1, 3; q1 at 3, 4; q2 at 1, 2; q3 and q4 have no coarse-relevant item.
    expect(result.coarse.queries).toBe(3);
    expect(result.coarse.queriesWithoutRelevant).toBe(2);
    expect(result.coarse.precisionAt[1]).toBeCloseTo((1 + 0 + 1) / 3, 12);
    expect(result.coarse.precisionAt[3]).toBeCloseTo((2 / 3 + 1 / 3 + 2 / 3) / 3, 12);
    // 5 > 4 candidates: each of q0..q2 finds both relevant items, 2/5.
    expect(result.coarse.precisionAt[5]).toBeCloseTo(2 / 5, 12);
    // AP: q0 (1 + 2/3)/2, q1 (1/3 + 2/4)/2, q2 (1 + 1)/2.
    expect(result.coarse.map).toBeCloseTo(((1 + 2 / 3) / 2 + (1 / 3 + 1 / 2) / 2 + 1) / 3, 12);
  });

  it('fine precision also needs equal severity and directions', () => {
    // Only 0 ↔ 2 are fine-relevant; q0 ranks 2 first, q2 ranks 0 first.
    expect(result.fine.queries).toBe(2);
    expect(result.fine.queriesWithoutRelevant).toBe(3);
    expect(result.fine.precisionAt).toEqual({ 1: 1, 3: 1 / 3, 5: 1 / 5 });
    expect(result.fine.map).toBe(1);
  });

  it('gives NaN, not 0, when no query has a relevant item', () => {
    const distinct = [truth[0]!, truth[3]!, truth[4]!];
    const r = retrievalMetrics({ k: 1, indices: Int32Array.from([1, 0, 0]) }, distinct, {
      sameModality: true,
      rValues: [1],
    });
    expect(r.coarse.queries).toBe(0);
    expect(r.coarse.queriesWithoutRelevant).toBe(3);
    expect(r.coarse.precisionAt[1]).toBeNaN();
  });

  it("cross-modality keeps the query's own pair as a relevant candidate", () => {
    const r = retrievalMetrics({ k: 1, indices: Int32Array.from([0, 1, 2, 3, 4]) }, truth, {
      sameModality: false,
      rValues: [1],
    });
    expect(r.coarse).toMatchObject({ queries: 5, queriesWithoutRelevant: 0, precisionAt: { 1: 1 } });
    expect(r.fine.precisionAt[1]).toBe(1);
  });

  it('ties in similarity resolve to the lower index before the metric sees them', () => {
    // Cross-modality over items 0..2: rows 0 and 1 tie columns 0 and 2; row 2 ties all three.
    const sim = host([0.9, 0.2, 0.9, /* */ 0.9, 0.2, 0.9, /* */ 0.1, 0.1, 0.1], [3, 3]);
    const { indices } = topkRef(sim, 2);
    expect(Array.from(indices)).toEqual([0, 2, 0, 2, 0, 1]);
    const r = retrievalMetrics({ k: 2, indices }, truth.slice(0, 3), { sameModality: false, rValues: [1, 2] });
    // All three truths are coarse PE: every slot is relevant.
    expect(r.coarse.precisionAt).toEqual({ 1: 1, 2: 1 });
    // Fine: q0 (mild) ← 0, 2 both mild: 1, 1. q1 (severe) ← 0, 2: 0, 0. q2 (mild) ← 0, 1: 1, 0.
    expect(r.fine.precisionAt[1]).toBeCloseTo(2 / 3, 12);
    expect(r.fine.precisionAt[2]).toBeCloseTo((1 + 0 + 0.5) / 3, 12);
  });

  it('rejects a same-modality ranking that contains the query, and k below the largest R', () => {
    expect(() =>
      retrievalMetrics({ k: 1, indices: Int32Array.from([0, 0, 0, 0, 0]) }, truth, {
        sameModality: true,
        rValues: [1],
      }),
    ).toThrow(/ranks itself/);
    expect(() => retrievalMetrics(sameModality, truth, { sameModality: true, rValues: [10] })).toThrow(/k ≥ 10/);
  });
});

describe('labels', () => {
  it('coarse ignores descriptors, fine ignores shape/extent/chronicity and descriptor order', () => {
    expect(coarseLabel(truth[0]!)).toBe(coarseLabel(truth[1]!));
    expect(fineLabel(truth[0]!)).toBe(fineLabel(truth[2]!));
    expect(fineLabel(truth[0]!)).not.toBe(fineLabel(truth[1]!));
    expect(fineLabel({ [PE]: d(['small', 'chronic'], ['right', 'basilar']) })).toBe(
      fineLabel({ [PE]: d(['small'], ['basilar', 'right']) }),
    );
    expect(fineLabel({ [PE]: d(['mild'], ['left']) })).not.toBe(fineLabel({ [PE]: d(['mild'], ['right']) }));
  });
  it('an adjective outside the ontology is an error', () => {
    expect(() => fineLabel({ [PE]: d(['enormous'], []) })).toThrow(/'enormous' is not in the ontology/);
  });
});

describe('perClassPrecision and evaluateRetrieval', () => {
  it('averages P@R over the queries having each class; multi-class queries count for each', () => {
    const items: EntitySet[] = [
      { [PE]: d([], []) },
      { [PE]: d([], []), [CM]: d([], []) },
      { [CM]: d([], []) },
      { [PE]: d([], []), [CM]: d([], []) },
    ];
    // P@2 per query: q0 [0, 1] → 1/2; q1 [3, 2] → 1/2; q2 [1, 0] → 0; q3 [3, 1] → 1.
    const ranking = { k: 2, indices: Int32Array.from([0, 1, 3, 2, 1, 0, 3, 1]) };
    expect(perClassPrecision(ranking, items, false, 2)).toEqual([
      { className: CM, queries: 3, precision: (0.5 + 0 + 1) / 3 },
      { className: PE, queries: 3, precision: (0.5 + 0.5 + 1) / 3 },
    ]);
  });
  it('evaluates the directions given, excluding self only for same modality', () => {
    const cross: Ranking = {
      k: 5,
      indices: Int32Array.from([0, 1, 2, 3, 4].flatMap((q) => [q, ...[0, 1, 2, 3, 4].filter((j) => j !== q)])),
    };
    const results = evaluateRetrieval({ 'image→text': cross, 'text→text': sameModality }, truth, [1, 5]);
    expect(Object.keys(results)).toEqual(['image→text', 'text→text']);
    expect(results['image→text']!.coarse.precisionAt[1]).toBe(1);
    expect(results['text→text']!.coarse.precisionAt[5]).toBeCloseTo(0.4, 12);
    expect(() => evaluateRetrieval({ 'image→image': cross }, truth, [1])).toThrow(/ranks itself/);
  });
});

describe('chance levels and hubness', () => {
  // Mean AP@k and P@R of many uniformly random rankings (a seeded LCG shuffle) approach the closed forms.
  function randomRankingAverages(relevant: number, n: number, k: number, trials: number): { ap: number; p: number } {
    let state = 12345;
    const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
    let apSum = 0;
    let pSum = 0;
    for (let t = 0; t < trials; t++) {
      const order = Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      let hits = 0;
      let sum = 0;
      for (let i = 0; i < Math.min(k, n); i++) {
        if (order[i]! < relevant) sum += ++hits / (i + 1);
        if (i === 9) pSum += hits / 10;
      }
      apSum += sum / Math.min(relevant, k);
    }
    return { ap: apSum / trials, p: pSum / trials };
  }
  it('chanceAveragePrecision matches random rankings', () => {
    for (const [relevant, n, k] of [
      [1, 20, 5],
      [3, 40, 10],
      [30, 100, 50],
      [60, 100, 50],
    ] as const) {
      const sim = randomRankingAverages(relevant, n, k, 40_000);
      expect(Math.abs(chanceAveragePrecision(relevant, n, k) - sim.ap)).toBeLessThan(0.01);
    }
    expect(chanceAveragePrecision(5, 5, 50)).toBeCloseTo(1, 12);
  });
  it('a summary carries chance P@R and mAP, and distinctTop1 exposes a collapsed ranking', () => {
    const n = 40;
    const items: EntitySet[] = Array.from(
      { length: n },
      (_, i): EntitySet => (i % 4 === 0 ? { [PE]: d([], []) } : { 'No Finding': d([], []) }),
    );
    // Every query ranks the same ten candidates in the same order: one distinct top-1.
    const collapsed: Ranking = { k: 10, indices: Int32Array.from({ length: n * 10 }, (_, i) => i % 10) };
    const r = retrievalMetrics(collapsed, items, { sameModality: false, rValues: [1, 10] });
    expect(r.distinctTop1).toBe(1);
    expect(r.queries).toBe(n);
    // PE queries: 10 relevant of 40; normal queries: 30 of 40 → mean P@R chance (10·0.25 + 30·0.75)/40.
    expect(r.coarse.chance.precisionAt[10]).toBeCloseTo((10 * 0.25 + 30 * 0.75) / n, 12);
    expect(r.coarse.chance.map).toBeCloseTo(
      (10 * chanceAveragePrecision(10, n, 10) + 30 * chanceAveragePrecision(30, n, 10)) / n,
      12,
    );
  });
});
