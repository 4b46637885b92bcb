// Timing helpers shared by the benchmarks: warm-up, then the median of interleaved wall-clock runs.

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface Timing {
  /** Median seconds per run. */
  seconds: number;
  runs: number[];
}

/**
 * Runs each variant `warmup` times untimed, then times `runs` rounds with the variants interleaved (A B A B …),
 * so that load from other processes on a shared machine hits all of them alike. Each variant must resolve only
 * after the GPU has finished what it submitted, so a run measures compute, not just recording.
 */
export async function timeInterleaved(variants: readonly (() => Promise<void>)[], { warmup = 1, runs = 3 } = {}): Promise<Timing[]> {
  for (const once of variants) for (let i = 0; i < warmup; i++) await once();
  const times = variants.map(() => [] as number[]);
  for (let r = 0; r < runs; r++) {
    for (const [v, once] of variants.entries()) {
      const t0 = performance.now();
      await once();
      times[v]!.push((performance.now() - t0) / 1000);
    }
  }
  return times.map((runs) => ({ seconds: median(runs), runs }));
}
