// The straightforward per-anchor miner over an n×n score matrix (row = anchor), the reference for the
// GPU miner. Per anchor i (j ranges over the other samples, never i itself):
//   positive = argmax_j S[i,j], ties → lowest j.
//   negative = argmin_j S[i,j] over j ≠ positive with τmin ≤ S[i,j] < τmax (semi-hard band), ties → lowest j;
//              fallback when the band is empty: the highest-scoring j ≠ positive with S[i,j] < τmin
//              (the hardest of the easy negatives), ties → lowest j.
//   The triplet is valid only if S[i,positive] > S[i,negative]; otherwise (no candidate, batch of 1,
//   all scores equal, NaN scores) both indices are -1 and the anchor is skipped. NaN scores are never picked.

export interface MiningOptions {
  tauMin: number;
  tauMax: number;
}

export const defaultMiningOptions: MiningOptions = { tauMin: 0.25, tauMax: 0.6 };

export interface MinedTriplets {
  positives: Int32Array;
  negatives: Int32Array;
  valid: number;
}

type Better = (candidate: number, best: number) => boolean;

/** Index j ≠ skip in row with accept(S) whose score is strictly better than all earlier ones (so ties → lowest j). */
function pick(row: ArrayLike<number>, skip: readonly number[], accept: (s: number) => boolean, better: Better): number {
  let best = -1;
  for (let j = 0; j < row.length; j++) {
    const s = row[j];
    if (skip.includes(j) || Number.isNaN(s) || !accept(s)) continue;
    if (best < 0 || better(s, row[best])) best = j;
  }
  return best;
}

function mineAnchor(row: ArrayLike<number>, i: number, o: MiningOptions): [number, number] {
  const positive = pick(
    row,
    [i],
    () => true,
    (s, b) => s > b,
  );
  if (positive < 0) return [-1, -1];
  const skip = [i, positive];
  let negative = pick(
    row,
    skip,
    (s) => s >= o.tauMin && s < o.tauMax,
    (s, b) => s < b,
  );
  if (negative < 0)
    negative = pick(
      row,
      skip,
      (s) => s < o.tauMin,
      (s, b) => s > b,
    );
  if (negative < 0 || !(row[positive] > row[negative])) return [-1, -1];
  return [positive, negative];
}

export function mineTripletsCpu(
  scores: ArrayLike<number>,
  n: number,
  options: MiningOptions = defaultMiningOptions,
): MinedTriplets {
  if (scores.length !== n * n)
    throw new Error(`mineTripletsCpu: score matrix has ${scores.length} entries, expected ${n}×${n}`);
  const positives = new Int32Array(n);
  const negatives = new Int32Array(n);
  let valid = 0;
  for (let i = 0; i < n; i++) {
    const row = Array.prototype.slice.call(scores, i * n, (i + 1) * n) as number[];
    const [p, q] = mineAnchor(row, i, options);
    positives[i] = p;
    negatives[i] = q;
    if (p >= 0) valid++;
  }
  return { positives, negatives, valid };
}
