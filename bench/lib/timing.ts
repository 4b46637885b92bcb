// Timing helpers shared by the benchmarks: warm-up, then the median of wall-clock runs.

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
 * Runs `once` `warmup` times untimed, then `runs` times timed; `once` must resolve only after the GPU has
 * finished the work it submitted (so each run measures compute, not just recording).
 */
export async function timeRuns(once: () => Promise<void>, { warmup = 1, runs = 3 } = {}): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await once();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await once();
    times.push((performance.now() - t0) / 1000);
  }
  return { seconds: median(times), runs: times };
}

/**
 * Times several variants with their runs interleaved (A B A B …), so that load from other processes on a
 * shared machine hits all of them alike.
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
