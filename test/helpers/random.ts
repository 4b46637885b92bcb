// Seeded random data for tests and benchmarks (no test-runner imports, so bench/ can use it too).

/** Deterministic uniform floats in [lo, hi) (mulberry32). */
export function randomData(n: number, seed: number, lo = -1, hi = 1): Float64Array {
  let s = seed >>> 0;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  }
  return out;
}

/** n random rows of `dim` values scaled to unit length (embeddings as l2normalize leaves them). */
export function unitRows(n: number, dim: number, seed: number): Float64Array {
  const data = randomData(n * dim, seed);
  for (let i = 0; i < n; i++) {
    const row = data.subarray(i * dim, (i + 1) * dim);
    const norm = Math.hypot(...row);
    row.forEach((v, k) => (row[k] = v / norm));
  }
  return data;
}
