// The real data sets shared between checkouts live at ../shared/data from the project root (never an
// absolute path: a clone elsewhere has its own). A test that needs them fails, naming the path, when they
// are absent; MEDTRIM_SHARED_DATA points elsewhere, and MEDTRIM_SKIP_SHARED_DATA=1 skips such tests with
// a printed reason instead.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'vitest';

const projectRoot = resolve(import.meta.dirname, '..', '..');

/** Absolute path of `relative` inside the shared data folder. */
export function sharedData(relative: string): string {
  return join(process.env.MEDTRIM_SHARED_DATA ?? resolve(projectRoot, '..', 'shared', 'data'), relative);
}

/** describe() when `path` exists; otherwise a failing test that says what is missing, or a printed skip when asked for. */
export function describeWithSharedData(name: string, path: string, body: () => void): void {
  if (existsSync(path)) {
    describe(name, body);
    return;
  }
  if (process.env.MEDTRIM_SKIP_SHARED_DATA === '1') {
    console.warn(`SKIPPED "${name}": ${path} is absent (MEDTRIM_SKIP_SHARED_DATA=1)`);
    describe.skip(`${name} (skipped: ${path} absent)`, body);
    return;
  }
  describe(name, () => {
    it('finds its shared data', () => {
      throw new Error(
        `${path} is absent: put the shared data sets at ../shared/data beside the project (or set MEDTRIM_SHARED_DATA=DIR), or set MEDTRIM_SKIP_SHARED_DATA=1 to skip these tests`,
      );
    });
  });
}
