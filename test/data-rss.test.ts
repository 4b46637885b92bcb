// A 100,000-row manifest (pointing at four 1024² PNG files) opened as `medtrim train --data` opens it and read
// batch after batch at 224 px stays within a fixed memory bound: the records live in memory, the pixels only
// in the pipeline's slots. Holding every image would take 100,000 × 224² × 4 bytes ≈ 19 GiB. Measured in a
// child process (bench/data-pipeline.ts --rss-only), so that vitest's own memory does not count.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const RSS_BOUND_MIB = 768;

describe('memory on a 100,000-row manifest', () => {
  it(`stays under ${RSS_BOUND_MIB} MiB resident, and taking batches adds no more than the pipeline's fixed share`, () => {
    const result = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'bench/data-pipeline.ts', '--rss-only', '--rows', '100000', '--batches', '40'],
      { encoding: 'utf8' },
    );
    expect(result.status, result.stderr).toBe(0);
    const m = JSON.parse(result.stdout) as { rows: number; rssOpenedMiB: number; rssPeakMiB: number };
    expect(m.rows).toBe(100_000);
    expect(m.rssPeakMiB).toBeLessThan(RSS_BOUND_MIB);
    // Slots (192 × 224² × 4 bytes ≈ 37 MiB), two worker threads and their decoders' transient full-size films.
    expect(m.rssPeakMiB - m.rssOpenedMiB).toBeLessThan(400);
  });
});
