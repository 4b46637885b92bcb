// The commands that use a trained run, end to end in child processes on the project's adapter: a tiny
// `medtrim train`, then `eval` (tables, eval.json, report), `search --image` and `embed` of texts and an
// image (search's scores must equal the cosine of embed's vectors of the query image and the hit reports), and the
// quickest `bench` (one suite, small shapes, one run, no peers).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from 'fast-png';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSyntheticDataset, toUint8 } from '../../src/data/synthetic/dataset.js';

const root = mkdtempSync(join(tmpdir(), 'medtrim-cli-run-'));
const run = join(root, 'run');
const image = join(root, 'query.png');

function medtrim(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/medtrim.js', ...args], { encoding: 'utf8', timeout: 240_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok(...args: string[]): string[] {
  const r = medtrim(...args);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim().split('\n');
}

const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i]!, 0);

beforeAll(() => {
  ok('train', '--out', run, '--steps', '2', '--batch-size', '4', '--data-count', '60', '--no-eval', '--quiet');
  const sample = createSyntheticDataset({ seed: 5, size: 64, count: 1 }).sample(0);
  writeFileSync(image, encode({ width: 64, height: 64, data: toUint8(sample.image), channels: 1, depth: 8 }));
});

describe('commands on a trained run', () => {
  it('eval prints the P@R tables and zero-shot line, and writes eval.json and the report', () => {
    const out = ok('eval', '--run', run).join('\n');
    expect(out).toMatch(/^medtrim \(tiny, step 2\), \d+ test samples:/);
    expect(out).toMatch(/image→text/);
    expect(out).toMatch(/zero-shot classification over \d+ images: macro-AUC \d\.\d{3}/);
    const saved = JSON.parse(readFileSync(join(run, 'eval.json'), 'utf8'));
    expect(saved.step).toBe(2);
    expect(existsSync(join(run, 'report.html'))).toBe(true);
  });

  it('embed prints unit-length embeddings; search --image ranks test reports by their cosine with the image', () => {
    const hits = ok('search', '--run', run, '--image', image, '--k', '2').map(
      (l) => JSON.parse(l) as { rank: number; id: string; score: number; report: string },
    );
    expect(hits.map((h) => h.rank)).toEqual([1, 2]); // the test split of 60 samples holds 2
    expect(hits[0]!.score).toBeGreaterThanOrEqual(hits[1]!.score);
    const texts = ok(
      'embed',
      '--run',
      run,
      '--text',
      'small left pleural effusion',
      ...hits.flatMap((h) => ['--text', h.report]),
    ).map((l) => JSON.parse(l) as number[]);
    const images = ok('embed', '--run', run, '--image', image).map((l) => JSON.parse(l) as number[]);
    expect(texts).toHaveLength(3);
    expect(images).toHaveLength(1);
    for (const v of [...texts, ...images]) {
      expect(v.length).toBe(texts[0]!.length);
      expect(v.every(Number.isFinite)).toBe(true);
      expect(Math.sqrt(dot(v, v))).toBeCloseTo(1, 4);
    }
    expect(texts[0]).not.toEqual(texts[1]);
    hits.forEach((h, i) => expect(h.score).toBeCloseTo(dot(images[0]!, texts[i + 1]!), 4));
  });

  it('bench runs its quickest suite and writes the results files', () => {
    const out = join(root, 'bench');
    ok('bench', 'mining', '--quick', '--runs', '1', '--no-peers', '--out', out);
    const files = readdirSync(out).sort();
    expect(files).toEqual([expect.stringMatching(/^suite-.*\.json$/), expect.stringMatching(/^suite-.*\.md$/)]);
    const report = JSON.parse(readFileSync(join(out, files[0]!), 'utf8'));
    expect(report.suites.map((s: { name: string }) => s.name)).toEqual(['mining']);
    expect(readFileSync(join(out, files[1]!), 'utf8')).toMatch(/### mining/);
  });
});
