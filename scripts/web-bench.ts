// Browser figures: the bundle's size (raw and gzip), how long it takes to build, and the demo page's time to
// first result (navigation → self-check result shown), measured by driving headless Chromium; with
// --kernels QUERY also the bench page's table (QUERY as in web/bench.html, e.g. 'sizes=128,256' or 'default').
//   npx tsx scripts/web-bench.ts [--loads N] [--kernels QUERY]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { median } from '../bench/lib/timing.js';
import { startDemoSite } from '../src/web/node/demo-site.js';
import type { StaticServer } from '../src/web/node/static-server.js';
import { launchChromium, type Browser } from '../test/browser/chromium.js';
import { buildWeb, WEB_BUNDLE_DIR } from './build-web.js';

interface Load {
  /** From page.goto to the self-check status appearing, measured by the driver. */
  driverMs: number;
  /** performance.now() in the page when the result was shown (its clock starts at navigation). */
  pageMs: number;
}

type Session = { site: StaticServer; browser: Browser };

async function measureLoads({ site, browser }: Session, count: number): Promise<Load[]> {
  const loads: Load[] = [];
  for (let i = 0; i < count; i++) {
    // A fresh page each time; the browser (and its shader cache) stays, so the first load is the cold one.
    const page = await browser.newPage();
    const started = performance.now();
    await page.goto(site.url);
    await page.waitForFunction(() => window.medtrimSelfCheck || window.medtrimError, undefined, { timeout: 120_000 });
    const driverMs = performance.now() - started;
    const result = await page.evaluate(() => window.medtrimError ?? window.medtrimSelfCheck!);
    if (typeof result === 'string') throw new Error(`the demo page failed: ${result}`);
    if (!result.passed) throw new Error('the demo page self-check failed');
    loads.push({ driverMs, pageMs: result.shownAtMs });
    await page.close();
  }
  return loads;
}

async function benchPage({ site, browser }: Session, query: string): Promise<void> {
  const page = await browser.newPage();
  await page.goto(`${site.url}bench.html${query === 'default' ? '' : `?${query}`}`);
  await page.waitForFunction(() => window.medtrimBench || window.medtrimError, undefined, { timeout: 300_000 });
  const bench = await page.evaluate(() => window.medtrimError ?? window.medtrimBench!);
  if (typeof bench === 'string') throw new Error(`the bench page failed: ${bench}`);
  console.log(`\nbench page on ${bench.adapter}, median of ${bench.runs} runs:`);
  for (const r of bench.rows) console.log(`  ${r.name.padEnd(48)} ${r.medianMs.toFixed(2).padStart(9)} ms ${r.rate.toPrecision(3).padStart(8)} ${r.unit}`);
  await page.close();
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { loads: { type: 'string', default: '3' }, kernels: { type: 'string' } } });
  const count = Number(values.loads);
  if (!Number.isInteger(count) || count < 1) throw new Error(`--loads must be a positive integer, got '${values.loads}'`);
  const built = await buildWeb();
  const gzip = Object.keys(built.outputs).reduce((s, f) => s + gzipSync(readFileSync(join(WEB_BUNDLE_DIR, f))).length, 0);
  console.log(`bundle: ${Object.keys(built.outputs).length} files, ${(built.totalBytes / 1024).toFixed(1)} KiB (${(gzip / 1024).toFixed(1)} KiB gzip), built in ${built.milliseconds.toFixed(0)} ms`);
  const session: Session = { site: await startDemoSite(), browser: await launchChromium() };
  try {
    const loads = await measureLoads(session, count);
    loads.forEach((l, i) => console.log(`load ${i + 1}${i === 0 ? ' (cold)' : ''}: self-check shown ${l.pageMs.toFixed(0)} ms after navigation (driver: ${l.driverMs.toFixed(0)} ms)`));
    if (loads.length > 1) console.log(`warm median: ${median(loads.slice(1).map((l) => l.pageMs)).toFixed(0)} ms after navigation`);
    if (values.kernels) await benchPage(session, values.kernels);
  } finally {
    await session.browser.close();
    await session.site.close();
  }
}

main().catch((err: unknown) => {
  console.error(`web-bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
