// Bad usage of any command exits 2 (as `medtrim train --help` documents) with one line naming the flag and
// quoting the text given; nothing is written and no GPU is started. The CLI runs in child processes.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

function medtrim(...args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/medtrim.js', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stderr: r.stderr };
}

function expectUsageError(args: string[], message: string | RegExp): void {
  const { status, stderr } = medtrim(...args);
  expect(stderr.trim().split('\n'), stderr).toHaveLength(1);
  expect(stderr).toMatch(message);
  expect(status, stderr).toBe(2);
}

describe('medtrim: bad usage exits 2 with a one-line error', () => {
  const root = mkdtempSync(join(tmpdir(), 'medtrim-usage-'));
  const out = join(root, 'run');

  it('train: unknown flags, non-numbers and non-finite numbers, out-of-range values', () => {
    expectUsageError(['train', '--bogus', '--out', out], /^medtrim train: Unknown option '--bogus'/);
    expectUsageError(
      ['train', '--steps', 'abc', '--out', out],
      "medtrim train: --steps must be a finite number, got 'abc'",
    );
    expectUsageError(
      ['train', '--lr', 'Infinity', '--out', out],
      "medtrim train: --lr must be a finite number, got 'Infinity'",
    );
    expectUsageError(['train', '--lr', 'NaN', '--out', out], "medtrim train: --lr must be a finite number, got 'NaN'");
    expectUsageError(['train', '--lr=-1', '--out', out], 'medtrim train: --lr must be positive, got -1');
    expectUsageError(
      ['train', '--lr', '-1', '--out', out],
      /^medtrim train: Option '--lr' argument is ambiguous\. Did you forget/,
    );
    expectUsageError(
      ['train', '--steps', '2.5', '--out', out],
      'medtrim train: --steps must be a positive integer, got 2.5',
    );
    expectUsageError(
      ['train', '--eval-limit', '1', '--out', out],
      "medtrim train: --eval-limit must be an integer ≥ 2, got '1'",
    );
    expectUsageError(
      ['train', '--resume', '--steps', '3', '--out', out],
      /--resume continues a run with its saved config/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('train --config: bad settings in the file name the file and the field', () => {
    const file = join(root, 'g.json');
    writeFileSync(file, JSON.stringify({ gammas: { disease: 'x', foo: 1 } }));
    expectUsageError(
      ['train', '--config', file, '--out', out],
      `medtrim train: ${file}: gammas.foo is not a known weight`,
    );
    writeFileSync(file, '{"weightDecay": 1e999}');
    expectUsageError(
      ['train', '--config', file, '--out', out],
      `medtrim train: ${file}: weightDecay must be a finite number, got Infinity`,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('eval, search, embed, data, demo, bench and the top level', () => {
    expectUsageError(['eval'], /^medtrim eval: --run DIR is required/);
    expectUsageError(
      ['eval', '--run', out, '--limit', 'abc'],
      "medtrim eval: --limit must be an integer ≥ 2, got 'abc'",
    );
    expectUsageError(['search', '--run', out], /give exactly one --text or one --image/);
    expectUsageError(['search', '--run', out, '--text', 'x', '--k', '0'], "--k must be an integer ≥ 1, got '0'");
    expectUsageError(
      ['search', '--run', out, '--text', 'x', '--k', '999'],
      "--k must be an integer from 1 to 256, got '999'",
    );
    expectUsageError(['search', '--text', 'x'], /--run DIR is required/);
    expectUsageError(['embed', '--run', out], /give --text or --image inputs/);
    expectUsageError(['embed', '--run', out, '--text', 'x', 'stray'], /^medtrim embed: Unexpected argument 'stray'/);
    expectUsageError(['data', 'preview'], 'medtrim data: --out DIR is required');
    expectUsageError(['demo', '--port', 'x'], "medtrim demo: --port must be an integer from 0 to 65535, got 'x'");
    expectUsageError(['bench', '--runs', '0'], "medtrim bench: --runs must be a positive integer, got '0'");
    expectUsageError(['bench', 'nosuch'], /^medtrim bench: unknown suite 'nosuch' \(one of matmul, /);
    expectUsageError(['nosuch'], "medtrim: unknown command 'nosuch'");
    expect(medtrim().status).toBe(2);
  });
});
