// A few hundred seeded, mutated inputs per parser (test/helpers/fuzz.ts says what passes); the long run
// is `npm run fuzz -- --count 10000`. A failure names the target and input index: regenerate the input
// with mutatedInput(target, seed, index, maxBytes).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { fuzzTarget, fuzzTargets, isCleanError } from './helpers/fuzz.js';

const seed = 20261206;
const count = 300;
// Far above any input's time on an idle machine (the long run's slowest, on a loaded one, are in
// bench/results/fuzz.md); it catches hangs, not slowness, so that CI on a busy machine does not flake.
const timeLimitMs = 5000;
const scratch = mkdtempSync(join(tmpdir(), 'medtrim-fuzz-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('parser fuzzing', () => {
  it.each(fuzzTargets().map((t) => [t.name, t] as const))(
    '%s: no crash, hang or unbounded output',
    async (name, target) => {
      const summary = await fuzzTarget(target, {
        seed,
        count,
        maxBytes: 64 * 1024,
        timeLimitMs,
        scratch: join(scratch, name),
      });
      expect(summary.failures.map((f) => `input ${f.index} (${f.input.length} bytes): ${f.problem}`)).toEqual([]);
      expect(summary.inputs).toBe(count);
      // Mutations must reach both outcomes, or the inputs are not exercising the parser.
      expect(summary.refused).toBeGreaterThan(0);
      expect(summary.refused).toBeLessThan(count);
    },
  );
});

// Inputs the long run found failing (hangs in the recognizer, error messages quoting line breaks), kept as
// test/fixtures/fuzz/TARGET-INDEX.bin.gz so that they stay tested whatever the mutation code becomes.
const regressionDir = join(import.meta.dirname, 'fixtures', 'fuzz');
const regressions = readdirSync(regressionDir).filter((f) => f.endsWith('.bin.gz'));

describe('inputs the long fuzz run found failing', () => {
  it.each(regressions)('%s passes', async (file) => {
    const target = fuzzTargets().find((t) => file.startsWith(`${t.name}-`))!;
    const input = gunzipSync(readFileSync(join(regressionDir, file)));
    const start = performance.now();
    try {
      const { size } = await target.run(input, join(scratch, 'regressions'));
      expect(size).toBeLessThanOrEqual(target.maxOutput(input.length));
    } catch (err) {
      expect(isCleanError(err), String(err)).toBe(true);
    }
    expect(performance.now() - start).toBeLessThan(timeLimitMs);
  });
});
