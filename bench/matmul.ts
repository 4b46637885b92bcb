// Matmul benchmark: our kernel against tfjs-backend-webgpu on the same adapter, in the same process.
//   npx tsx bench/matmul.ts [--backend gles|swiftshader|native|auto] [--shapes quick|full] [--runs N]
//   npx tsx bench/matmul.ts --summary   (one table of every adapter's saved results, for the README)
// GFLOP/s are the median of timed runs after a warm-up, ours and tfjs interleaved; each run waits for the queue to drain
// (onSubmittedWorkDone) on both sides. Results go to bench/results/matmul-<adapter>.{md,json}.
import { parseArgs } from 'node:util';
import { acquireGpu, type AdapterDescription, type BackendChoice } from '../src/gpu/device.js';
import { Runtime } from '../src/gpu/runtime.js';
import { matmul, matmulDims, matmulTiles, type MatmulOptions } from '../src/ops/matmul.js';
import { tensorFrom } from '../src/tensor/tensor.js';
import { adapterLine, adapterTag, markdownTable } from '../src/bench/format.js';
import { readResults, writeResults } from '../src/bench/results.js';
import { startTfjs, type TfjsPeer } from '../src/bench/tfjs-peer.js';
import { timeInterleaved } from '../src/bench/timing.js';
import { runScript } from './lib/run-script.js';

interface Case {
  a: number[];
  b: number[];
  options?: MatmulOptions;
}

const SQUARE = (n: number): Case => ({ a: [n, n], b: [n, n] });
const SHAPES: Record<string, Case[]> = {
  quick: [SQUARE(128), SQUARE(256), { a: [64, 256], b: [256, 768] }, { a: [12, 64, 64], b: [64, 64] }],
  full: [
    SQUARE(128),
    SQUARE(256),
    SQUARE(512),
    SQUARE(1024),
    { a: [64, 256], b: [256, 768] },
    { a: [512, 768], b: [768, 768] },
    { a: [2048, 512], b: [512, 2048] },
    { a: [12, 64, 64], b: [64, 64] },
    { a: [12, 197, 64], b: [12, 197, 64], options: { transB: true } },
    { a: [100, 3], b: [3, 50] },
  ],
};

const HELP = `usage: npx tsx bench/matmul.ts [--backend gles|swiftshader|native|auto] [--shapes quick|full] [--runs N]
       npx tsx bench/matmul.ts --summary`;

function caseName(c: Case): string {
  const t = (s: number[], trans?: boolean) => s.join('×') + (trans ? 'ᵀ' : '');
  return `${t(c.a, c.options?.transA)} · ${t(c.b, c.options?.transB)}`;
}

/** Deterministic floats in [-1, 1). */
function randomFloats(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

const size = (shape: number[]) => shape.reduce((p, d) => p * d, 1);

function maxAbsDiff(x: Float32Array, y: Float32Array): number {
  if (x.length !== y.length) throw new Error(`result sizes differ: ${x.length} vs ${y.length}`);
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
  return worst;
}

interface Row {
  shape: string;
  gflop: number;
  oursGflops: number;
  tfjsGflops: number;
  ratio: number;
  oursRuns: number[];
  tfjsRuns: number[];
  maxAbsDiff: number;
}

async function benchCase(rt: Runtime, peer: TfjsPeer, c: Case, runs: number, seed: number): Promise<Row> {
  const d = matmulDims(c.a, c.b, c.options ?? {});
  const gflop = (2 * d.batch * d.m * d.n * d.k) / 1e9;
  const aData = randomFloats(size(c.a), seed);
  const bData = randomFloats(size(c.b), seed + 1);
  const a = tensorFrom(rt, aData, c.a);
  const b = tensorFrom(rt, bData, c.b);
  const { tf } = peer;
  const ta = tf.tensor(aData, c.a);
  const tb = tf.tensor(bData, c.b);
  // tfjs wants equal ranks; a rank-2 operand broadcasts over the other's batch.
  const rank = Math.max(c.a.length, c.b.length);
  const tA = rank > c.a.length ? ta.reshape([1, ...c.a]) : ta;
  const tB = rank > c.b.length ? tb.reshape([1, ...c.b]) : tb;
  const transA = !!c.options?.transA;
  const transB = !!c.options?.transB;

  const ourOut = matmul(a, b, c.options);
  const theirOut = tf.matMul(tA, tB, transA, transB);
  const diff = maxAbsDiff(new Float32Array(await ourOut.read()), (await theirOut.data()) as Float32Array);
  ourOut.dispose();
  theirOut.dispose();

  const [ours, theirs] = await timeInterleaved(
    [
      async () => {
        const out = matmul(a, b, c.options);
        await rt.sync();
        out.dispose();
      },
      async () => {
        const out = tf.matMul(tA, tB, transA, transB);
        await peer.sync();
        out.dispose();
      },
    ],
    { runs },
  );
  for (const t of new Set([ta, tb, tA, tB])) t.dispose();
  a.dispose();
  b.dispose();
  const oursGflops = gflop / ours.seconds;
  const tfjsGflops = gflop / theirs.seconds;
  return {
    shape: caseName(c),
    gflop,
    oursGflops,
    tfjsGflops,
    ratio: oursGflops / tfjsGflops,
    oursRuns: ours.runs,
    tfjsRuns: theirs.runs,
    maxAbsDiff: diff,
  };
}

interface SavedResults {
  adapter: AdapterDescription;
  runs: number;
  shapes: string;
  rows: Row[];
}

/** Two significant digits below 1 GFLOP/s (the software adapters under load get there), else two decimals. */
const gflops = (x: number) => (x >= 1 ? x.toFixed(2) : x.toPrecision(2));
const rowCells = (r: Row) => [r.shape, gflops(r.oursGflops), gflops(r.tfjsGflops), `${r.ratio.toFixed(2)}×`];

function adapterMarkdown(s: SavedResults): string {
  const table = markdownTable(['shape', 'GFLOP/s ours', 'GFLOP/s tfjs', 'ours/tfjs'], s.rows.map(rowCells));
  const command = `npx tsx bench/matmul.ts --backend ${s.adapter.backend} --shapes ${s.shapes} --runs ${s.runs}`;
  return `### matmul on ${adapterLine(s.adapter)}\n\nmedian of ${s.runs} runs after a warm-up, \`${command}\`\n\n${table}`;
}

/**
 * Every adapter's saved results (bench/results/matmul-*.json) as one markdown table; also re-renders each
 * adapter's .md from its JSON, so the two never disagree.
 */
function summary(): string {
  const saved = readResults('matmul-').map(({ file, json }) => {
    const r = json as Partial<SavedResults>;
    if (!r.adapter?.backend || !Array.isArray(r.rows))
      throw new Error(`bench/results/${file}: not a matmul results file`);
    return { file, ...(r as SavedResults) };
  });
  if (!saved.length) throw new Error('no bench/results/matmul-*.json yet: run the benchmark first');
  for (const { file, ...results } of saved)
    writeResults(file.replace(/\.json$/, ''), adapterMarkdown(results), results);
  const rows = saved.flatMap((s) => s.rows.map((r) => [adapterTag(s.adapter), ...rowCells(r)]));
  return markdownTable(['adapter', 'shape', 'GFLOP/s ours', 'GFLOP/s tfjs', 'ours/tfjs'], rows);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      backend: { type: 'string' },
      shapes: { type: 'string', default: 'quick' },
      runs: { type: 'string', default: '3' },
      summary: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (values.summary) {
    console.log(summary());
    return 0;
  }
  const cases = SHAPES[values.shapes!];
  if (!cases) throw new Error(`--shapes must be one of ${Object.keys(SHAPES).join(', ')}, got '${values.shapes}'`);
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got '${values.runs}'`);

  const gpu = await acquireGpu({ backend: values.backend as BackendChoice | undefined });
  try {
    const rt = new Runtime(gpu);
    const peer = await startTfjs(gpu);
    const adapter = adapterLine(gpu.info);
    // Tiles depend on the shape (matmulTiles): recorded per case.
    const tiles = cases.map((c) => ({
      a: c.a,
      b: c.b,
      ...matmulTiles(rt, matmulDims(c.a, c.b, c.options ?? {}).m, !!c.options?.transA),
    }));
    console.log(`adapter: ${adapter}\ntfjs adapter: ${peer.adapter}`);
    const rows: Row[] = [];
    for (const [i, c] of cases.entries()) {
      const row = await benchCase(rt, peer, c, runs, 1000 + 2 * i);
      console.log(
        `${row.shape}: ours ${gflops(row.oursGflops)} GFLOP/s, tfjs ${gflops(row.tfjsGflops)} GFLOP/s, ratio ${row.ratio.toFixed(2)} (max |diff| ${row.maxAbsDiff.toExponential(1)})`,
      );
      rows.push(row);
    }
    const saved: SavedResults = { adapter: gpu.info, runs, shapes: values.shapes!, rows };
    const markdown = adapterMarkdown(saved);
    console.log('\n' + markdown);
    const files = writeResults(`matmul-${adapterTag(gpu.info)}`, markdown, {
      ...saved,
      tfjsAdapter: peer.adapter,
      tiles,
    });
    console.log(`\nwrote ${files.md} and ${files.json}`);
    peer.tf.disposeVariables();
    return 0;
  } finally {
    gpu.release();
  }
}

runScript(main);
