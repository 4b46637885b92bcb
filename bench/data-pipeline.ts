// The real-data pipeline's memory and throughput, on generated 1024×1024 16-bit PNG films:
//   npx tsx bench/data-pipeline.ts [--rows N] [--batches N] [--steps N] [--backend gles|…] [--rss-only] [--out DIR]
// 1. memory: a manifest of --rows rows (default 100,000) pointing at 4 files, opened as `medtrim train --data`
//    opens it (src/train/run-data.ts: loader, patient split written to splits.csv, entity cache, worker
//    pipeline, disk cache) at the base preset's 224 px, then --batches batches of 32 taken with prefetch:
//    resident set size before, after opening and at its peak while taking batches.
// 2. throughput: images/s decoded + fitted to 224 px (and to 32 px) on the main thread and in 1 and 2 worker
//    threads, and images/s from the resized-image cache;
// 3. the trainer on the same machine: `medtrim train --data` at the tiny preset (32 px) on a 1024² manifest for
//    --steps steps: its samples/s and the share of step time spent waiting for data, from log.jsonl.
// Results: bench/results/data-pipeline.{md,json} (or --out DIR); --rss-only prints part 1 as JSON and stops.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { encode } from 'fast-png';
import { createFileDataset } from '../src/data/pipeline/file-dataset.js';
import type { ImageReportRecord } from '../src/data/loaders/records.js';
import { createSyntheticDataset } from '../src/data/synthetic/dataset.js';
import { acquireGpu, type BackendChoice } from '../src/gpu/device.js';
import { Runtime } from '../src/gpu/runtime.js';
import { resolveConfig } from '../src/train/config.js';
import { openRunData } from '../src/train/run-data.js';
import { createRun, readLog, train } from '../src/train/run.js';
import { adapterLine, markdownTable } from '../src/bench/format.js';
import { writeResults } from '../src/bench/results.js';
import { runScript } from './lib/run-script.js';

const FILES = 4;
const BATCH = 32;
const MB = 2 ** 20;

/** FILES 1024² 16-bit gray PNGs (synthetic films scaled ×8) and their reports. */
function writeFilms(root: string): { image: string; report: string }[] {
  mkdirSync(join(root, 'images'), { recursive: true });
  const ds = createSyntheticDataset({ seed: 9, size: 128, count: FILES });
  return Array.from({ length: FILES }, (_, k) => {
    const s = ds.sample(k);
    const big = Uint16Array.from({ length: 1024 * 1024 }, (_, i) =>
      Math.round(s.image[((i >> 10) >> 3) * 128 + ((i & 1023) >> 3)]! * 65535),
    );
    writeFileSync(
      join(root, 'images', `${k}.png`),
      encode({ width: 1024, height: 1024, data: big, channels: 1, depth: 16 }),
    );
    return { image: `images/${k}.png`, report: s.report };
  });
}

function writeManifestRows(root: string, films: { image: string; report: string }[], rows: number): string {
  const path = join(root, `manifest-${rows}.jsonl`);
  const lines: string[] = [];
  for (let i = 0; i < rows; i++)
    lines.push(JSON.stringify({ id: `row${i}`, patient: `p${i >> 1}`, ...films[i % FILES] }));
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

async function memory(root: string, manifest: string, batches: number) {
  const rss = () => process.memoryUsage().rss / MB;
  global.gc?.();
  const before = rss();
  const dir = mkdtempSync(join(root, 'run-'));
  const config = resolveConfig({
    preset: 'base',
    data: manifest,
    batchSize: BATCH,
    dataWorkers: 2,
    prefetchBatches: 2,
  });
  const { dataset } = await openRunData(config, dir, { create: true, warn: () => {} });
  const opened = rss();
  let peak = opened;
  const train = dataset.split('train');
  for (let b = 0; b < batches; b++) {
    const at = (k: number) => Array.from({ length: BATCH }, (_, j) => train[((b + k) * BATCH + j) % train.length]!);
    dataset.prefetch!(at(1));
    dataset.prefetch!(at(2));
    dataset.samples(at(0));
    peak = Math.max(peak, rss());
  }
  await dataset.close?.();
  return {
    rows: dataset.count,
    imageSize: dataset.size,
    batches,
    batchSize: BATCH,
    rssBeforeMiB: before,
    rssOpenedMiB: opened,
    rssPeakMiB: peak,
  };
}

function throughput(root: string, films: { image: string }[]) {
  const records: ImageReportRecord[] = Array.from({ length: 48 }, (_, i) => ({
    id: `t${i}`,
    imagePath: join(root, films[i % FILES]!.image),
    report: 'x',
    split: 'train',
  }));
  const rate = (size: number, workers: number, cacheDir?: string) => {
    const ds = createFileDataset(records, {
      description: 'bench',
      size,
      fit: 'pad',
      workers,
      cacheDir,
      batchSize: 48,
      prefetchBatches: 0,
      augmentSeed: 0,
      skipBadImages: false,
      entities: () => ({}),
    });
    // One image first, so that the workers have started (each loads tsx and the decoders) before the clock runs.
    ds.samples(Array.from({ length: Math.max(1, workers) }, (_, i) => i));
    const timed = records.map((_, i) => i).slice(Math.max(1, workers));
    const started = performance.now();
    ds.samples(timed);
    const seconds = (performance.now() - started) / 1000;
    void ds.close?.();
    return Number((timed.length / seconds).toFixed(2));
  };
  const cacheDir = mkdtempSync(join(root, 'cache-'));
  rate(224, 1, cacheDir); // fills the cache
  return {
    decodeResize224: { mainThread: rate(224, 0), workers1: rate(224, 1), workers2: rate(224, 2) },
    decodeResize32: { mainThread: rate(32, 0), workers2: rate(32, 2) },
    cacheHit224: { workers2: rate(224, 2, cacheDir) },
  };
}

async function trainer(
  root: string,
  films: { image: string; report: string }[],
  steps: number,
  backend: string | undefined,
  imageCache: boolean,
) {
  const manifest = writeManifestRows(root, films, 400);
  const gpu = await acquireGpu({ backend: backend as BackendChoice | undefined });
  try {
    const rt = new Runtime(gpu);
    const dir = mkdtempSync(join(root, 'train-'));
    const run = await createRun(
      rt,
      dir,
      {
        data: manifest,
        steps,
        batchSize: BATCH,
        logEvery: Math.max(1, Math.floor(steps / 2)),
        checkpointEvery: 0,
        dataWorkers: 2,
        imageCache,
      },
      { log: () => {} },
    );
    await train(run);
    await run.data.dataset.close?.();
    const log = readLog(dir) as (ReturnType<typeof readLog>[number] & { dataWaitShare: number })[];
    // The first window includes the first decodes of every file and the kernels' first compilation.
    const last = log.at(-1)!;
    return {
      imageCache,
      adapter: adapterLine(gpu.info),
      preset: 'tiny',
      imageSize: run.model.vit.imageSize,
      batchSize: BATCH,
      steps,
      samplesPerSec: Number(last.samplesPerSec.toFixed(2)),
      dataWaitShare: last.dataWaitShare,
      window: `steps ${log.at(-2)?.step ?? 0}–${last.step}`,
    };
  } finally {
    gpu.release();
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '100000' },
      batches: { type: 'string', default: '60' },
      steps: { type: 'string', default: '20' },
      backend: { type: 'string' },
      'rss-only': { type: 'boolean' },
      out: { type: 'string' },
    },
  });
  const root = mkdtempSync(join(tmpdir(), 'medtrim-bench-data-'));
  const films = writeFilms(root);
  const manifest = writeManifestRows(root, films, Number(values.rows));
  const mem = await memory(root, manifest, Number(values.batches));
  if (values['rss-only']) {
    console.log(JSON.stringify(mem));
    return 0;
  }
  const speed = throughput(root, films);
  const fed = await trainer(root, films, Number(values.steps), values.backend, false);
  const fedCached = await trainer(root, films, Number(values.steps), values.backend, true);
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`;
  const md = [
    `# Real-data pipeline (bench/data-pipeline.ts)`,
    '',
    `Machine: ${machine}; trainer adapter: ${fed.adapter}. Films: ${FILES} generated 1024×1024 16-bit gray PNGs.`,
    '',
    `## Memory: ${mem.rows} manifest rows, ${mem.batches} batches of ${mem.batchSize} at ${mem.imageSize} px (2 workers, prefetch 2)`,
    '',
    markdownTable(
      ['resident set', 'MiB'],
      [
        ['before opening', mem.rssBeforeMiB.toFixed(0)],
        ['after opening (records, splits.csv, workers)', mem.rssOpenedMiB.toFixed(0)],
        ['peak while taking batches', mem.rssPeakMiB.toFixed(0)],
      ],
    ),
    '',
    '## Throughput (images/s, 48 images after the workers have started)',
    '',
    markdownTable(
      ['work', 'main thread', '1 worker', '2 workers'],
      [
        [
          'decode 1024² PNG + fit to 224 px',
          String(speed.decodeResize224.mainThread),
          String(speed.decodeResize224.workers1),
          String(speed.decodeResize224.workers2),
        ],
        [
          'decode 1024² PNG + fit to 32 px',
          String(speed.decodeResize32.mainThread),
          '',
          String(speed.decodeResize32.workers2),
        ],
        ['resized-image cache hit, 224 px', '', '', String(speed.cacheHit224.workers2)],
      ],
    ),
    '',
    `## Trainer on the same machine`,
    '',
    `medtrim train --data (tiny preset, ${fed.imageSize} px, batch ${fed.batchSize}, 2 workers, 400 rows over the ${FILES} films), ${fed.window}:`,
    '',
    markdownTable(
      ['resized-image cache', 'trainer samples/s', 'step time waiting for data'],
      [fed, fedCached].map((f) => [
        f.imageCache ? 'on (every image decoded once)' : 'off (every image decoded)',
        String(f.samplesPerSec),
        `${(100 * f.dataWaitShare).toFixed(1)}%`,
      ]),
    ),
  ].join('\n');
  const written = writeResults(
    'data-pipeline',
    md,
    { machine, memory: mem, throughput: speed, trainer: [fed, fedCached] },
    values.out ? pathToFileURL(values.out) : undefined,
  );
  console.log(md);
  console.log(`\nwrote ${written.md} and ${written.json}`);
  return 0;
}

runScript(main);
