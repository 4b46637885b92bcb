// The demo page with a run trained on files (--data): a tiny model trained a few steps in Node (SwiftShader)
// on a PNG manifest, served by the demo site, which lists the run's test samples and serves their images. The
// page prepares those images as the run did: its embeddings equal Node's and its search returns what
// `medtrim search` returns.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SampleInfo } from '../../src/data/paired.js';
import { acquireGpu, type GpuContext } from '../../src/gpu/device.js';
import { Runtime } from '../../src/gpu/runtime.js';
import { embedSamples, type Embeddings } from '../../src/train/evaluate.js';
import { createRun, openRun, train } from '../../src/train/run.js';
import { startDemoSite } from '../../src/web/node/demo-site.js';
import type { StaticServer } from '../../src/web/node/static-server.js';
import { writeManifest } from '../helpers/manifest.js';
import { launchChromium, type Browser } from './chromium.js';

const QUERY = 'Moderate right pleural effusion.';
const K = 4;

let base: string;
let site: StaticServer;
let browser: Browser;
let nodeGpu: GpuContext;
let samples: SampleInfo[];
let nodeEmbeddings: Embeddings;
let runDir: string;
let page: Page;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'medtrim-demo-real-'));
  runDir = join(base, 'run');
  const data = writeManifest(48, { size: 40, row: (r, i) => ({ ...r, split: i % 4 === 0 ? 'test' : 'train' }) });
  nodeGpu = await acquireGpu();
  const rt = new Runtime(nodeGpu);
  const created = await createRun(rt, runDir, {
    data: data.manifest,
    preset: 'tiny',
    steps: 3,
    batchSize: 8,
    warmupSteps: 1,
    checkpointEvery: 0,
    dataWorkers: 0,
  });
  await train(created);
  const run = await openRun(rt, runDir);
  run.model.eval();
  samples = run.data.dataset.split('test').map((i) => run.data.dataset.info(i));
  nodeEmbeddings = await embedSamples(rt, run.model, run.data, samples);
  [site, browser] = await Promise.all([startDemoSite({ runDir }), launchChromium()]);
  page = await browser.newPage();
  await page.goto(site.url);
  await page.waitForFunction(
    () => window.medtrimError || ['ready', 'failed', 'no-run'].includes(window.medtrimDemo?.phase ?? ''),
    undefined,
    { timeout: 120_000 },
  );
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
  nodeGpu?.release();
  rmSync(base, { recursive: true, force: true });
});

describe('demo page with a run trained on files', () => {
  it("loads the run and embeds the served test images as Node embeds the run's test split", async () => {
    expect(
      await page.evaluate(() => [window.medtrimError, window.medtrimDemo!.phase, window.medtrimDemo!.error]),
    ).toEqual([undefined, 'ready', undefined]);
    const positions = await page.evaluate(() => window.medtrimDemo!.testIndices());
    expect(positions).toEqual(samples.map((_, i) => i));
    const images = await page.evaluate((p) => window.medtrimDemo!.embedImages(p), positions);
    const { dim } = nodeEmbeddings;
    let worst = 0;
    images.forEach((row, i) =>
      row.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - nodeEmbeddings.images[i * dim + j]!)))),
    );
    console.log(`real-data demo: max |page − node| image embeddings ${worst.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(1e-4);
  });

  it('a typed report returns the same test images as medtrim search', async () => {
    const hits = await page.evaluate(([q, k]) => window.medtrimDemo!.search(q as string, k as number), [
      QUERY,
      K,
    ] as const);
    const cli = spawnSync(
      process.execPath,
      ['bin/medtrim.js', 'search', '--run', runDir, '--text', QUERY, '--k', String(K), '--backend', 'swiftshader'],
      { encoding: 'utf8' },
    );
    expect(cli.status, cli.stderr).toBe(0);
    const cliHits = cli.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; score: number });
    expect(hits.map((h) => h.id)).toEqual(cliHits.map((h) => h.id));
    hits.forEach((h, i) => expect(h.score).toBeCloseTo(cliHits[i]!.score, 4));
  });
});
