// The demo page with a real training run: a tiny model trained a few steps in Node (SwiftShader) and served
// with the demo site's --run mount. The page's embeddings equal Node's exactly, its searches return what
// `medtrim search` and Node's retrieval return, the entities it highlights are OBER's, in-page training
// lowers the loss as Node's training does, step for step (and a learning rate of 1e-9 does not), and a
// corrupt checkpoint is reported on the page by name. The README's browser section quotes these checks.
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PairedSample } from '../../src/data/paired.js';
import { acquireGpu, type GpuContext } from '../../src/gpu/device.js';
import { Runtime } from '../../src/gpu/runtime.js';
import { recognize } from '../../src/ober/recognize.js';
import { retrieveTopk } from '../../src/ops/topk.js';
import { tensorFrom } from '../../src/tensor/tensor.js';
import { embedSamples, type Embeddings } from '../../src/train/evaluate.js';
import { createRun, openRun, RUN_FILES, train } from '../../src/train/run.js';
import { trainInPage, type InPageTraining } from '../../src/web/lib/demo-model.js';
import { startDemoSite } from '../../src/web/node/demo-site.js';
import type { StaticServer } from '../../src/web/node/static-server.js';
import { launchChromium, type Browser } from './chromium.js';

const ARTIFACTS = resolve('test-artifacts');
const RUN_SETTINGS = {
  preset: 'tiny',
  dataCount: 160,
  steps: 3,
  batchSize: 8,
  logEvery: 1,
  checkpointEvery: 0,
  warmupSteps: 1,
};
const QUERY = 'Moderate right pleural effusion. Patchy opacity in the left lower lobe.';
const K = 5;

let base: string;
let runDir: string;
let corruptDir: string;
let site: StaticServer;
let corruptSite: StaticServer;
let browser: Browser;
let nodeGpu: GpuContext;
let rt: Runtime;
let samples: PairedSample[];
let nodeEmbeddings: Embeddings;
let cliSearch: Promise<{ id: string; score: number }[]>;

/** `medtrim search --text` as a user runs it (its own process, same SwiftShader adapter). */
function searchWithCli(dir: string, text: string, k: number): Promise<{ id: string; score: number }[]> {
  const child = spawn(
    process.execPath,
    ['bin/medtrim.js', 'search', '--run', dir, '--text', text, '--k', String(k), '--backend', 'swiftshader'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((resolveHits, reject) =>
    child.on('exit', (code) =>
      code === 0
        ? resolveHits(
            out
              .trim()
              .split('\n')
              .map((l) => JSON.parse(l) as { id: string; score: number }),
          )
        : reject(new Error(`medtrim search exited with ${code}: ${err}`)),
    ),
  );
}

/** A copy of the run whose checkpoint has one flipped bit in its last tensor byte. */
function corruptCopy(dir: string): string {
  const copy = join(base, 'corrupt-run');
  mkdirSync(copy);
  for (const f of [RUN_FILES.config, RUN_FILES.vocab]) copyFileSync(join(dir, f), join(copy, f));
  const bytes = readFileSync(join(dir, RUN_FILES.checkpoint));
  bytes[bytes.length - 1]! ^= 0x10;
  writeFileSync(join(copy, RUN_FILES.checkpoint), bytes);
  return copy;
}

async function openDemo(url: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(url);
  await page.waitForFunction(
    () => window.medtrimError || ['ready', 'failed', 'no-run'].includes(window.medtrimDemo?.phase ?? ''),
    undefined,
    { timeout: 120_000 },
  );
  const error = await page.evaluate(() => window.medtrimError);
  if (error) throw new Error(`${url}: engine start-up failed in the page: ${error}`);
  return page;
}

const maxAbs = (a: number[][], b: number[][]) =>
  Math.max(...a.flatMap((row, i) => row.map((v, j) => Math.abs(v - b[i]![j]!))));
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'medtrim-demo-run-'));
  runDir = join(base, 'run');
  nodeGpu = await acquireGpu();
  rt = new Runtime(nodeGpu);
  await train(await createRun(rt, runDir, RUN_SETTINGS));
  corruptDir = corruptCopy(runDir);
  cliSearch = searchWithCli(runDir, QUERY, K);
  // Node's side as `medtrim search` computes it: the run reopened from disk, the test split embedded.
  const run = await openRun(rt, runDir);
  run.model.eval();
  samples = run.data.dataset.split('test').map((i) => run.data.dataset.sample(i));
  nodeEmbeddings = await embedSamples(rt, run.model, run.data, samples);
  [site, corruptSite, browser] = await Promise.all([
    startDemoSite({ runDir }),
    startDemoSite({ runDir: corruptDir }),
    launchChromium(),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
  await corruptSite?.close();
  nodeGpu?.release();
  rmSync(base, { recursive: true, force: true });
});

describe('demo page with a served run', () => {
  let page: Page;
  beforeAll(async () => {
    page = await openDemo(site.url);
  });

  it('loads the checkpoint and says which step it holds', async () => {
    expect(await page.evaluate(() => [window.medtrimDemo!.phase, window.medtrimDemo!.error])).toEqual([
      'ready',
      undefined,
    ]);
    const model = await page.evaluate(() => window.medtrimDemo!.model());
    expect(model!.origin).toMatchObject({
      kind: 'checkpoint',
      url: '/run/checkpoint.safetensors',
      step: RUN_SETTINGS.steps,
    });
    expect(model!.config).toEqual(JSON.parse(readFileSync(join(runDir, RUN_FILES.config), 'utf8')));
    const info = await page.locator('#model-info').innerText();
    expect(info).toMatch(/SHA-256 verified/);
    expect(info).toMatch(new RegExp(`step\\s+${RUN_SETTINGS.steps}\\b`));
    expect(await page.evaluate(() => window.medtrimDemo!.testIndices())).toEqual(samples.map((s) => s.index));
  });

  it('embeds test images and reports exactly as Node does (max |page − node| = 0)', async () => {
    const picked = [0, Math.floor(samples.length / 2), samples.length - 1].map((p) => samples[p]!.index);
    const rowsOf = (flat: Float32Array, dim: number) =>
      picked.map((index) => {
        const at = samples.findIndex((s) => s.index === index);
        return Array.from(flat.subarray(at * dim, (at + 1) * dim));
      });
    const [images, texts] = await page.evaluate(
      (indices) => Promise.all([window.medtrimDemo!.embedImages(indices), window.medtrimDemo!.embedTexts(indices)]),
      picked,
    );
    const { dim } = nodeEmbeddings;
    expect(images[0]).toHaveLength(dim);
    const imageError = maxAbs(images, rowsOf(nodeEmbeddings.images, dim));
    const textError = maxAbs(texts, rowsOf(nodeEmbeddings.texts, dim));
    console.log(
      `embeddings: max |page − node| images ${imageError.toExponential(2)}, reports ${textError.toExponential(2)}`,
    );
    expect(imageError).toBe(0);
    expect(textError).toBe(0);
    // Distinct samples embed differently (a constant output would pass the comparison above).
    expect(maxAbs([images[0]!], [images[1]!])).toBeGreaterThan(1e-3);
  });

  it('a typed report returns the same top-k images as medtrim search', async () => {
    await page.locator('#search-text').fill(QUERY);
    await page.locator('#search-k').fill(String(K));
    await page.locator('#search-button').click();
    await page.locator('#search-status[data-status="done"]').waitFor({ timeout: 60_000 });
    const shown = await page.locator('#image-results figure').evaluateAll((figures) =>
      figures.map((f) => ({
        index: Number((f as HTMLElement).dataset.index),
        caption: f.querySelector('figcaption')!.textContent!,
      })),
    );
    const cli = await cliSearch;
    expect(cli).toHaveLength(K);
    expect(shown.map((s) => samples.find((x) => x.index === s.index)!.id)).toEqual(cli.map((h) => h.id));
    shown.forEach((s, i) => expect(Number.parseFloat(s.caption)).toBeCloseTo(cli[i]!.score, 3));
    const hits = await page.evaluate(([q, k]) => window.medtrimDemo!.search(q, k), [QUERY, K] as const);
    // medtrim search prints scores rounded to 6 decimals: the same scores differ by at most half a unit there.
    hits.forEach((h, i) => expect(Math.abs(h.score - cli[i]!.score)).toBeLessThanOrEqual(5e-7 + 1e-9));
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'demo-search.png'), fullPage: true });
  });

  it('clicking an image returns the same top-k reports as Node, with OBER entities highlighted', async () => {
    const query = samples[1]!;
    await page.locator(`#gallery figure[data-index="${query.index}"]`).click();
    await page.locator('#report-results li').first().waitFor({ timeout: 60_000 });
    await page.locator('#search-status[data-status="done"]').waitFor();
    const { dim } = nodeEmbeddings;
    const q = tensorFrom(rt, nodeEmbeddings.images.slice(1 * dim, 2 * dim), [1, dim]).keep();
    const keys = tensorFrom(rt, nodeEmbeddings.texts, [samples.length, dim]).keep();
    const node = await retrieveTopk(q, keys, K);
    q.dispose();
    keys.dispose();
    const items = page.locator('#report-results li');
    const shownIndices = await items.evaluateAll((lis) => lis.map((li) => Number((li as HTMLElement).dataset.index)));
    expect(shownIndices).toEqual(Array.from(node.indices, (p) => samples[p]!.index));
    for (let i = 0; i < K; i++) {
      const report = samples.find((s) => s.index === shownIndices[i])!.report;
      const ober = recognize(report);
      const item = items.nth(i);
      expect(JSON.parse((await item.getAttribute('data-entities'))!)).toEqual(ober.entities);
      expect(await item.locator('pre.report').innerText()).toBe(report);
      const marks: Record<string, string>[] = await item
        .locator('mark')
        .evaluateAll((ms) =>
          ms.map((m) => ({ ...(m as HTMLElement).dataset, text: m.textContent ?? '' }) as Record<string, string>),
        );
      const classMarks = marks.filter((m) => m.kind === 'class');
      expect(classMarks.map((m) => [Number(m.start), Number(m.end), m.disease, m.state])).toEqual(
        ober.findings.map((f) => [
          f.span[0],
          f.span[1],
          f.disease,
          f.negated ? 'negated' : f.uncertain ? 'uncertain' : 'positive',
        ]),
      );
      for (const m of marks) expect(m.text).toBe(report.slice(Number(m.start), Number(m.end)));
      // Every descriptor OBER bound to a positive finding is marked, with that finding's class.
      for (const f of ober.findings.filter((x) => !x.negated && !x.uncertain)) {
        for (const [kind, values] of [
          ['adjective', f.adjectives],
          ['direction', f.directions],
        ] as const) {
          for (const v of values)
            expect(
              marks.some((m) => m.kind === kind && m.disease === f.disease && m.values.split('|').includes(v)),
              `${kind} ${v} of ${f.disease} in ${JSON.stringify(report)}`,
            ).toBe(true);
        }
      }
    }
    expect(browser.errors).toEqual([]);
    await page.screenshot({ path: join(ARTIFACTS, 'demo-image-search.png'), fullPage: true });
  });
});

describe('demo page with a corrupt checkpoint', () => {
  let page: Page;
  beforeAll(async () => {
    page = await openDemo(corruptSite.url);
  });

  it('shows a clear error naming the file, and searches nothing', async () => {
    expect(await page.evaluate(() => window.medtrimDemo!.phase)).toBe('failed');
    const status = page.locator('#model-status');
    expect(await status.getAttribute('data-status')).toBe('fail');
    expect(await status.innerText()).toMatch(
      /^checkpoint \/run\/checkpoint\.safetensors: tensor data or metadata does not match its SHA-256 checksum \(corrupted or edited file\)/,
    );
    expect(await page.locator('#search-button').isDisabled()).toBe(true);
    await expect(page.evaluate(() => window.medtrimDemo!.search('effusion', 3))).rejects.toThrow(
      /no model to search with \(checkpoint \/run\/checkpoint\.safetensors/,
    );
  });

  // Same settings, same seed: deterministic, so Node on the same SwiftShader computes the same losses.
  const TRAINING: InPageTraining = { steps: 24, batchSize: 8, dataCount: 60, seed: 1, lr: 3e-3 };
  const firstAndLast = (losses: number[]) => [mean(losses.slice(0, 6)), mean(losses.slice(-6))] as const;

  it('still trains in the page, with a live loss chart; the loss goes down as in Node and search then works', async () => {
    const { steps } = TRAINING;
    const losses = await page.evaluate((settings) => window.medtrimDemo!.train(settings), TRAINING);
    expect(losses).toHaveLength(steps);
    const [first, last] = firstAndLast(losses);
    console.log(
      `in-page training: mean loss of steps 1-6 ${first.toFixed(4)}, of steps ${steps - 5}-${steps} ${last.toFixed(4)}`,
    );
    // Measured: 0.626 → 0.543 (−13%); a drop under 10% means the page trains worse than it did.
    expect(last).toBeLessThan(first * 0.9);
    const nodeLosses: number[] = [];
    const nodeModel = await trainInPage(rt, TRAINING, (log) => nodeLosses.push(log.loss));
    nodeModel.model.dispose();
    console.log(`in-page training: max |page − node| loss ${maxAbs([losses], [nodeLosses]).toExponential(2)}`);
    expect(losses).toEqual(nodeLosses);
    const points = (await page.locator('#loss-chart polyline').getAttribute('points'))!.trim().split(' ');
    expect(points).toHaveLength(steps);
    expect(await page.locator('#train-status').getAttribute('data-status')).toBe('done');
    expect(await page.evaluate(() => window.medtrimDemo!.model()!.origin.kind)).toBe('in-page');
    const hits = await page.evaluate(() => window.medtrimDemo!.search('Small left pleural effusion.', 3));
    expect(hits.length).toBeGreaterThan(0);
    await page.screenshot({ path: join(ARTIFACTS, 'demo-trained.png'), fullPage: true });
  });

  it('the control: with a learning rate of 1e-9 the same training leaves the loss where it starts', async () => {
    const losses = await page.evaluate((settings) => window.medtrimDemo!.train(settings), { ...TRAINING, lr: 1e-9 });
    const [first, last] = firstAndLast(losses);
    console.log(
      `in-page training at lr 1e-9: mean loss of steps 1-6 ${first.toFixed(4)}, of the last 6 ${last.toFixed(4)}`,
    );
    // Measured: 0.626 → 0.623 (−0.5%): what moves is the batches, not the model.
    expect(Math.abs(last - first)).toBeLessThan(first * 0.01);
  });
});
