// Retrieval metrics on tiny cases computed by hand (see the comments for each expected value).
import { describe, expect, it } from 'vitest';
import type { EntitySet } from '../src/ober/entities.js';
import { host } from '../src/tensor/host.js';
import { topkRef } from '../src/ops/topk.js';
import { coarseLabel, evaluateRetrieval, fineLabel, perClassPrecision, retrievalMetrics, type Ranking } from '../src/eval/retrieval.js';

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
  indices: Int32Array.from([
    [2, 4, 1, 3, -1],
    [4, 3, 0, 2, -1],
    [0, 1, 3, 4, -1],
    [0, 1, 2, 4, -1],
    [0, 1, 2, 3, -1],
  ].flat()),
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
    const r = retrievalMetrics({ k: 1, indices: Int32Array.from([1, 0, 0]) }, distinct, { sameModality: true, rValues: [1] });
    expect(r.coarse.queries).toBe(0);
    expect(r.coarse.queriesWithoutRelevant).toBe(3);
    expect(r.coarse.precisionAt[1]).toBeNaN();
  });

  it('cross-modality keeps the query\'s own pair as a relevant candidate', () => {
    const r = retrievalMetrics({ k: 1, indices: Int32Array.from([0, 1, 2, 3, 4]) }, truth, { sameModality: false, rValues: [1] });
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
    expect(() => retrievalMetrics({ k: 1, indices: Int32Array.from([0, 0, 0, 0, 0]) }, truth, { sameModality: true, rValues: [1] })).toThrow(/ranks itself/);
    expect(() => retrievalMetrics(sameModality, truth, { sameModality: true, rValues: [10] })).toThrow(/k ≥ 10/);
  });
});

describe('labels', () => {
  it('coarse ignores descriptors, fine ignores shape/extent/chronicity and descriptor order', () => {
    expect(coarseLabel(truth[0]!)).toBe(coarseLabel(truth[1]!));
    expect(fineLabel(truth[0]!)).toBe(fineLabel(truth[2]!));
    expect(fineLabel(truth[0]!)).not.toBe(fineLabel(truth[1]!));
    expect(fineLabel({ [PE]: d(['small', 'chronic'], ['right', 'basilar']) })).toBe(fineLabel({ [PE]: d(['small'], ['basilar', 'right']) }));
    expect(fineLabel({ [PE]: d(['mild'], ['left']) })).not.toBe(fineLabel({ [PE]: d(['mild'], ['right']) }));
  });
  it('an adjective outside the ontology is an error', () => {
    expect(() => fineLabel({ [PE]: d(['enormous'], []) })).toThrow(/'enormous' is not in the ontology/);
  });
});

describe('perClassPrecision and evaluateRetrieval', () => {
  it('averages P@R over the queries having each class; multi-class queries count for each', () => {
    const items: EntitySet[] = [{ [PE]: d([], []) }, { [PE]: d([], []), [CM]: d([], []) }, { [CM]: d([], []) }, { [PE]: d([], []), [CM]: d([], []) }];
    // P@2 per query: q0 [0, 1] → 1/2; q1 [3, 2] → 1/2; q2 [1, 0] → 0; q3 [3, 1] → 1.
    const ranking = { k: 2, indices: Int32Array.from([0, 1, 3, 2, 1, 0, 3, 1]) };
    expect(perClassPrecision(ranking, items, false, 2)).toEqual([
      { className: CM, queries: 3, precision: (0.5 + 0 + 1) / 3 },
      { className: PE, queries: 3, precision: (0.5 + 0.5 + 1) / 3 },
    ]);
  });
  it('evaluates the directions given, excluding self only for same modality', () => {
    const cross: Ranking = { k: 5, indices: Int32Array.from([0, 1, 2, 3, 4].flatMap((q) => [q, ...[0, 1, 2, 3, 4].filter((j) => j !== q)])) };
    const results = evaluateRetrieval({ 'image→text': cross, 'text→text': sameModality }, truth, [1, 5]);
    expect(Object.keys(results)).toEqual(['image→text', 'text→text']);
    expect(results['image→text']!.coarse.precisionAt[1]).toBe(1);
    expect(results['text→text']!.coarse.precisionAt[5]).toBeCloseTo(0.4, 12);
    expect(() => evaluateRetrieval({ 'image→image': cross }, truth, [1])).toThrow(/ranks itself/);
  });
});
