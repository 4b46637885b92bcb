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
  /** Median device seconds per run, when every run of the variant reported them (GPU timestamps). */
  deviceSeconds?: number;
  deviceRuns?: number[];
}

/** One timed call: resolves when the GPU has finished, optionally to the device seconds it measured itself. */
// biome-ignore lint/suspicious/noConfusingVoidType: a variant is usually an async function that returns nothing
export type Variant = () => Promise<void | number>;

/**
 * Runs each variant `warmup` times untimed, then times `runs` rounds with the variants interleaved (A B A B …),
 * so that load from other processes on a shared machine hits all of them alike. Each variant must resolve only
 * after the GPU has finished what it submitted, so a run measures compute, not just recording. A variant may
 * resolve to the device seconds it measured itself (timestamp queries); those are kept beside the wall time.
 */
export async function timeInterleaved(variants: readonly Variant[], { warmup = 1, runs = 3 } = {}): Promise<Timing[]> {
  for (const once of variants) for (let i = 0; i < warmup; i++) await once();
  const times = variants.map(() => [] as number[]);
  const device = variants.map(() => [] as number[]);
  for (let r = 0; r < runs; r++) {
    for (const [v, once] of variants.entries()) {
      const t0 = performance.now();
      const measured = await once();
      times[v]!.push((performance.now() - t0) / 1000);
      if (typeof measured === 'number') device[v]!.push(measured);
    }
  }
  return times.map((wall, v) => {
    const timing: Timing = { seconds: median(wall), runs: wall };
    if (device[v]!.length === runs) Object.assign(timing, { deviceSeconds: median(device[v]!), deviceRuns: device[v] });
    return timing;
  });
}
