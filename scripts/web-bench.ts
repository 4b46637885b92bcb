// Browser figures: the bundle's size (raw and gzip), how long it takes to build, and the demo page's time to
// first result, measured by driving headless Chromium: with a served training run (--run DIR, or a tiny run
// of 3 steps made here in a temporary directory) navigation → model loaded and test split embedded →
// first search result shown, and navigation → self-check shown; with --kernels QUERY also the bench page's
// table (QUERY as in web/bench.html, e.g. 'sizes=128,256' or 'default'). The bundle and load figures go to
// bench/results/web-bench.{md,json} (or --out DIR), the table the README quotes.
//   npx tsx scripts/web-bench.ts [--loads N] [--run DIR] [--kernels QUERY] [--out DIR]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { markdownTable } from '../src/bench/format.js';
import { writeResults } from '../src/bench/results.js';
import { median } from '../src/bench/timing.js';
import { acquireGpu } from '../src/gpu/device.js';
import { Runtime } from '../src/gpu/runtime.js';
import { createRun, train } from '../src/train/run.js';
import { startDemoSite } from '../src/web/node/demo-site.js';
import type { StaticServer } from '../src/web/node/static-server.js';
import { CHROMIUM_FLAGS, launchChromium, type Browser } from '../test/browser/chromium.js';
import { buildWeb, WEB_BUNDLE_DIR } from '../src/web/node/build-web.js';

/** Times in the page's clock (performance.now(), which starts at navigation). */
interface Load {
  /** The served checkpoint loaded and the test split embedded. */
  readyMs: number;
  /** The first search's results shown (the driver submits the search box as soon as the model is ready). */
  firstSearchMs: number;
  selfCheckMs: number;
  /** From page.goto to the self-check shown, measured by the driver. */
  driverMs: number;
}

const QUERY = 'Small left pleural effusion. Mild cardiomegaly.';

type Session = { site: StaticServer; browser: Browser };

async function measureLoads({ site, browser }: Session, count: number): Promise<Load[]> {
  const loads: Load[] = [];
  for (let i = 0; i < count; i++) {
    // A fresh page each time; the browser (and its shader cache) stays, so the first load is the cold one.
    const page = await browser.newPage();
    const started = performance.now();
    await page.goto(site.url);
    await page.waitForFunction(
      () =>
        window.medtrimError ||
        (window.medtrimDemo && window.medtrimDemo.phase !== 'starting' && window.medtrimDemo.phase !== 'loading'),
      undefined,
      { timeout: 300_000 },
    );
    const demo = await page.evaluate(
      () =>
        window.medtrimError ?? {
          phase: window.medtrimDemo!.phase,
          error: window.medtrimDemo!.error,
          readyAtMs: window.medtrimDemo!.readyAtMs,
        },
    );
    if (typeof demo === 'string') throw new Error(`the demo page failed: ${demo}`);
    if (demo.phase !== 'ready') throw new Error(`the demo page did not load the run: ${demo.error ?? demo.phase}`);
    await page.locator('#search-text').fill(QUERY);
    await page.locator('#search-button').click();
    await page.locator('#search-status[data-status="done"]').waitFor({ timeout: 120_000 });
    await page.waitForFunction(() => window.medtrimSelfCheck || window.medtrimError, undefined, { timeout: 120_000 });
    const driverMs = performance.now() - started;
    const result = await page.evaluate(
      () => window.medtrimError ?? { check: window.medtrimSelfCheck!, firstSearchMs: window.medtrimDemo!.shownAtMs! },
    );
    if (typeof result === 'string') throw new Error(`the demo page failed: ${result}`);
    if (!result.check.passed) throw new Error('the demo page self-check failed');
    loads.push({
      readyMs: demo.readyAtMs!,
      firstSearchMs: result.firstSearchMs,
      selfCheckMs: result.check.shownAtMs,
      driverMs,
    });
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
  for (const r of bench.rows)
    console.log(
      `  ${r.name.padEnd(48)} ${r.medianMs.toFixed(2).padStart(9)} ms ${r.rate.toPrecision(3).padStart(8)} ${r.unit}`,
    );
  await page.close();
}

/** A tiny run of 3 training steps (a checkpoint to serve), made on Node's adapter. */
async function makeRun(dir: string): Promise<void> {
  const gpu = await acquireGpu();
  try {
    const rt = new Runtime(gpu);
    await train(
      await createRun(rt, dir, {
        preset: 'tiny',
        dataCount: 400,
        steps: 3,
        batchSize: 8,
        warmupSteps: 1,
        logEvery: 1,
        checkpointEvery: 0,
      }),
    );
  } finally {
    gpu.release();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      loads: { type: 'string', default: '3' },
      run: { type: 'string' },
      kernels: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const count = Number(values.loads);
  if (!Number.isInteger(count) || count < 1)
    throw new Error(`--loads must be a positive integer, got '${values.loads}'`);
  const built = await buildWeb();
  const gzip = Object.keys(built.outputs).reduce(
    (s, f) => s + gzipSync(readFileSync(join(WEB_BUNDLE_DIR, f))).length,
    0,
  );
  const bundle = `${Object.keys(built.outputs).length} files, ${(built.totalBytes / 1024).toFixed(1)} KiB (${(gzip / 1024).toFixed(1)} KiB gzip), built in ${built.milliseconds.toFixed(0)} ms`;
  console.log(`bundle: ${bundle}`);
  const made = values.run ? null : mkdtempSync(join(tmpdir(), 'medtrim-web-bench-'));
  const runDir = values.run ?? join(made!, 'run');
  if (made) await makeRun(runDir);
  const config = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')) as { preset: string; dataCount: number };
  console.log(
    `served run: ${values.run ?? 'a tiny run made here'} (${config.preset} preset, ${config.dataCount} samples)`,
  );
  const session: Session = { site: await startDemoSite({ runDir }), browser: await launchChromium() };
  try {
    const loads = await measureLoads(session, count);
    const line = (l: Load) =>
      `model ready ${l.readyMs.toFixed(0)} ms, first search result ${l.firstSearchMs.toFixed(0)} ms, self-check ${l.selfCheckMs.toFixed(0)} ms after navigation`;
    loads.forEach((l, i) =>
      console.log(`load ${i + 1}${i === 0 ? ' (cold)' : ''}: ${line(l)} (driver: ${l.driverMs.toFixed(0)} ms in all)`),
    );
    const rows: string[][] = [
      ['bundle', bundle],
      [
        'cold load',
        `model ready ${loads[0]!.readyMs.toFixed(0)} ms, first search result ${loads[0]!.firstSearchMs.toFixed(0)} ms after navigation`,
      ],
    ];
    if (loads.length > 1) {
      const warm = loads.slice(1);
      const warmLine = `model ready ${median(warm.map((l) => l.readyMs)).toFixed(0)} ms, first search result ${median(warm.map((l) => l.firstSearchMs)).toFixed(0)} ms after navigation`;
      console.log(`warm median: ${warmLine}`);
      rows.push([`warm loads (median of ${warm.length})`, warmLine]);
    }
    const command = ['npx tsx scripts/web-bench.ts', ...process.argv.slice(2)].join(' ');
    const markdown = [
      `### web-bench (\`${command}\`)`,
      '',
      `Headless Chromium (${CHROMIUM_FLAGS.filter((f) => f.includes('webgpu-adapter')).join(' ')}) on ${cpus().length} cores, 1-minute load average ${loadavg()[0]!.toFixed(1)} at the end; served run: ${values.run ?? `a tiny run made here (${config.preset} preset, 3 steps, ${config.dataCount} samples)`}.`,
      '',
      markdownTable(['', ''], rows),
    ].join('\n');
    const files = writeResults(
      'web-bench',
      markdown,
      {
        command,
        date: new Date().toISOString(),
        cores: cpus().length,
        loadAverage1m: loadavg()[0],
        bundle: {
          files: Object.keys(built.outputs).length,
          bytes: built.totalBytes,
          gzipBytes: gzip,
          buildMs: built.milliseconds,
        },
        run: values.run ?? null,
        loads,
      },
      values.out ? pathToFileURL(resolve(values.out) + '/') : undefined,
    );
    console.log(`wrote ${files.md} and ${files.json}`);
    if (values.kernels) await benchPage(session, values.kernels);
  } finally {
    await session.browser.close();
    await session.site.close();
    if (made) rmSync(made, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`web-bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
