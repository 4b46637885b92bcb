import { describe, expect, it } from 'vitest';
import { mineTripletsCpu } from '../src/mining/mine-cpu.js';

const opts = { tauMin: 0.25, tauMax: 0.6 };

describe('mineTripletsCpu', () => {
  it('picks the highest positive and the lowest semi-hard negative (hand-computed)', () => {
    // Row 0: others score 0.9, 0.5, 0.3, 0.1 → positive 1; band [0.25,0.6) holds 2 (0.5), 3 (0.3) → lowest is 3.
    const s = [
      1, 0.9, 0.5, 0.3, 0.1, 0.9, 1, 0.2, 0.1, 0.05, 0.5, 0.2, 1, 0.7, 0.65, 0.3, 0.1, 0.7, 1, 0.3, 0.1, 0.05, 0.65,
      0.3, 1,
    ];
    const m = mineTripletsCpu(s, 5, opts);
    // Row 1: band empty → fallback highest below τmin: 2 (0.2). Row 2: positive 3 (0.7), band: 0 (0.5) (0.65 ≥ τmax) → 0.
    // Row 3: positive 2, band: 0 (0.3), 4 (0.3) tie → lowest index 0. Row 4: positive 2, band: 3 (0.3).
    expect([...m.positives]).toEqual([1, 0, 3, 2, 2]);
    expect([...m.negatives]).toEqual([3, 2, 0, 0, 3]);
    expect(m.valid).toBe(5);
  });

  it('breaks positive ties toward the lowest index and never picks the anchor', () => {
    const s = [5, 0.8, 0.8, 0.3, 0.8, 5, 0.8, 0.3, 0.8, 0.8, 5, 0.3, 0.3, 0.3, 0.3, 5];
    const m = mineTripletsCpu(s, 4, opts);
    expect([...m.positives]).toEqual([1, 0, 0, -1]);
    expect(m.negatives[0]).toBe(3);
    // Anchor 3 sees only 0.3s: the positive (0) scores no higher than any negative → invalid.
    expect(m.negatives[3]).toBe(-1);
    expect(m.positives[3]).toBe(-1);
    expect(m.valid).toBe(3);
  });

  it('marks degenerate batches invalid instead of crashing', () => {
    expect(mineTripletsCpu([1], 1, opts)).toEqual({
      positives: Int32Array.of(-1),
      negatives: Int32Array.of(-1),
      valid: 0,
    });
    const two = mineTripletsCpu([1, 0.5, 0.5, 1], 2, opts);
    expect(two.valid).toBe(0);
    expect(mineTripletsCpu([], 0, opts).valid).toBe(0);
    const nan = mineTripletsCpu([1, NaN, NaN, NaN, 1, NaN, NaN, NaN, 1], 3, opts);
    expect(nan.valid).toBe(0);
  });

  it('accepts a Float32Array matrix and rejects a wrong size', () => {
    const m = mineTripletsCpu(Float32Array.of(1, 0.9, 0.1, 0.9, 1, 0.3, 0.1, 0.3, 1), 3, opts);
    expect([...m.positives, ...m.negatives]).toEqual([1, 0, 1, 2, 2, 0]);
    expect(() => mineTripletsCpu([1, 2, 3], 2, opts)).toThrow(/expected 2×2/);
  });
});
