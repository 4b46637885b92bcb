// A few hundred seeded, mutated inputs per parser (test/helpers/fuzz.ts says what passes); the long run
// is `npm run fuzz -- --count 10000`. A failure names the target and input index: regenerate the input
// with mutatedInput(target, seed, index, maxBytes).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fuzzTarget, fuzzTargets } from './helpers/fuzz.js';

const seed = 20261206;
const count = 300;
const scratch = mkdtempSync(join(tmpdir(), 'medtrim-fuzz-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('parser fuzzing', () => {
  it.each(fuzzTargets().map((t) => [t.name, t] as const))('%s: no crash, hang or unbounded output', async (name, target) => {
    const summary = await fuzzTarget(target, { seed, count, maxBytes: 64 * 1024, timeLimitMs: 2000, scratch: join(scratch, name) });
    expect(summary.failures.map((f) => `input ${f.index} (${f.input.length} bytes): ${f.problem}`)).toEqual([]);
    expect(summary.inputs).toBe(count);
    // Mutations must reach both outcomes, or the inputs are not exercising the parser.
    expect(summary.refused).toBeGreaterThan(0);
    expect(summary.refused).toBeLessThan(count);
  });
});
