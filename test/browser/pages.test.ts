// The pages in real headless Chromium (WebGPU on SwiftShader): the demo page finds an adapter and passes
// its self-check, kernels computed in the page equal Node's (same inputs, same SwiftShader) and the float64
// references, and the bench page produces its table. Screenshots go to test-artifacts/.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireGpu, type GpuContext } from '../../src/gpu/device.js';
import { Runtime } from '../../src/gpu/runtime.js';
import {
  caseInputs,
  KERNEL_CASES,
  maxAbsDifference,
  runCaseOnGpu,
  runCaseReference,
} from '../../src/web/lib/kernel-cases.js';
import { startDemoSite } from '../../src/web/node/demo-site.js';
import type { StaticServer } from '../../src/web/node/static-server.js';
import { expectClose } from '../helpers/gpu.js';
import { launchChromium, type Browser } from './chromium.js';

const ARTIFACTS = resolve('test-artifacts');
/** Same inputs on both sides, but not the page self-check's seed (1), so the test is not the page's own check. */
const PARITY_SEED = 7;

let site: StaticServer;
let browser: Browser;
let nodeGpu: GpuContext;
let nodeRuntime: Runtime;
let page: Page;

/** Waits until the page's start-up finished; a page that found no adapter fails here with its reason. */
async function openEngine(path: string): Promise<void> {
  await page.goto(site.url + path);
  await page.waitForFunction(() => window.medtrim || window.medtrimError, undefined, { timeout: 60_000 });
  const error = await page.evaluate(() => window.medtrimError);
  if (error) throw new Error(`${site.url}${path}: engine start-up failed in the page: ${error}`);
}

async function screenshot(name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = `${ARTIFACTS}/${name}.png`;
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot: ${path}`);
}

beforeAll(async () => {
  [site, browser, nodeGpu] = await Promise.all([startDemoSite(), launchChromium(), acquireGpu()]);
  nodeRuntime = new Runtime(nodeGpu);
  page = await browser.newPage();
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
  nodeGpu?.release();
});

describe('demo page (web/index.html)', () => {
  // Fails (never skips) every test below when the page gets no adapter.
  beforeAll(() => openEngine(''));

  it('finds a WebGPU adapter and shows it', async () => {
    const adapter = await page.evaluate(() => window.medtrim!.adapter);
    expect(adapter.backend).toBe('browser');
    expect(`${adapter.vendor} ${adapter.architecture} ${adapter.description}`.trim()).not.toBe('');
    const shown = await page.locator('#adapter-info').innerText();
    expect(shown).toContain(adapter.architecture || adapter.description);
    expect(shown).toMatch(/engine features/);
    // Every shader file is in the bundle's table, the lib files that kernels include among them.
    const shaders = await page.evaluate(() => window.medtrim!.shaderNames);
    expect(shaders).toEqual(
      expect.arrayContaining(['matmul', 'softmax', 'layernorm', 'binary', 'unary', 'reduce', 'lib/row_layout']),
    );
  });

  it('passes its self-check against the float64 references and shows it', async () => {
    await page.locator('#self-check-status[data-status]').waitFor({ timeout: 60_000 });
    const check = await page.evaluate(() => window.medtrimSelfCheck!);
    expect(check.rows.map((r) => r.name)).toEqual(KERNEL_CASES.map((c) => c.name));
    for (const row of check.rows) expect(row, row.name).toMatchObject({ passed: true });
    expect(await page.locator('#self-check-status').getAttribute('data-status')).toBe('pass');
    expect(await page.locator('#self-check-table tbody tr').count()).toBe(KERNEL_CASES.length);
    expect(browser.errors).toEqual([]);
    await screenshot('index');
  });

  it.each(KERNEL_CASES.map((c) => [c.name, c] as const))(
    '%s: page equals Node within 1e-5, both equal float64',
    async (_, c) => {
      const inputs = caseInputs(c, PARITY_SEED);
      const inPage = await page.evaluate(([name, xs]) => window.medtrim!.runCase(name, xs), [c.name, inputs] as const);
      const inNode = await runCaseOnGpu(nodeRuntime, c, inputs);
      const reference = runCaseReference(c, inputs);
      expect(inPage.length).toBe(reference.data.length);
      const pageVsNode = maxAbsDifference(inPage, inNode);
      console.log(
        `${c.name}: max |page − node| = ${pageVsNode.toExponential(2)}, max |page − float64| = ${maxAbsDifference(inPage, reference.data).toExponential(2)}`,
      );
      expect(pageVsNode).toBeLessThanOrEqual(1e-5);
      expectClose(inPage, reference, 1e-5, 1e-5);
      expectClose(inNode, reference, 1e-5, 1e-5);
    },
  );

  it('rejects an unknown kernel case with a clear error', async () => {
    await expect(page.evaluate(() => window.medtrim!.runCase('no such case', []))).rejects.toThrow(
      /no kernel case 'no such case'/,
    );
  });
});

describe('bench page (web/bench.html)', () => {
  it('times a 64×64 matmul and shows the table with the adapter', async () => {
    await openEngine('bench.html?sizes=64&transformer=no&runs=3');
    await page.locator('#bench-status[data-status="done"]').waitFor({ timeout: 60_000 });
    const bench = await page.evaluate(() => window.medtrimBench!);
    expect(bench.rows.map((r) => r.name)).toEqual(['matmul 64×64 · 64×64']);
    const [row] = bench.rows;
    expect(row!.runsMs).toHaveLength(3);
    expect(row!.unit).toBe('GFLOP/s');
    // The rate is the work over the median time: 2·64³ FLOP.
    expect(row!.rate).toBeCloseTo((2 * 64 ** 3) / (row!.medianMs / 1e3) / 1e9, 6);
    expect(row!.rate).toBeGreaterThan(0);
    const adapter = await page.evaluate(() => window.medtrim!.adapter);
    expect(await page.locator('#bench-adapter').innerText()).toContain(adapter.architecture || adapter.description);
    const cells = await page.locator('#bench-table tbody tr td').allInnerTexts();
    expect(cells[0]).toBe('matmul 64×64 · 64×64');
    expect(Math.abs(Number.parseFloat(cells[2]!) / row!.rate - 1)).toBeLessThan(0.01);
    expect(cells[2]).toMatch(/ GFLOP\/s$/);
    expect(browser.errors).toEqual([]);
    await screenshot('bench');
  });

  it('shows a bad query parameter as an error on the page', async () => {
    await page.goto(site.url + 'bench.html?sizes=abc');
    await page.locator('#fatal:not([hidden])').waitFor({ timeout: 30_000 });
    expect(await page.locator('#fatal').innerText()).toMatch(
      /sizes must be positive integers separated by commas, got 'abc'/,
    );
  });
});
