// Deterministic inputs for benchmarks (an LCG: fast, and the same floats in every environment).

/** Floats in [lo, hi). */
export function randomFloats(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + (hi - lo) * (s / 2 ** 32);
  }
  return out;
}

/** Integers in [0, bound). */
export function randomInts(n: number, seed: number, bound: number): Int32Array {
  return Int32Array.from(randomFloats(n, seed, 0, 1), (u) => Math.min(bound - 1, Math.floor(u * bound)));
}

/** For each anchor i of n, a positive and a negative index, both ≠ i and ≠ each other (n ≥ 3). */
export function randomTriplets(n: number, seed: number): { positives: Int32Array; negatives: Int32Array } {
  const u = randomInts(2 * n, seed, n - 1);
  const positives = Int32Array.from({ length: n }, (_, i) => (i + 1 + u[i]!) % n);
  const negatives = Int32Array.from({ length: n }, (_, i) => {
    for (let step = 1 + (u[n + i]! % (n - 1)); ; step++) {
      const j = (i + step) % n;
      if (j !== i && j !== positives[i]) return j;
    }
  });
  return { positives, negatives };
}

export function maxAbsDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) throw new Error(`result sizes differ: ${x.length} vs ${y.length}`);
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
  return worst;
}
