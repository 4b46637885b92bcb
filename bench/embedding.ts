// Embedding backward benchmark: the sort-based kernels (src/ops/embedding.ts) against the previous
// one-invocation-per-(row, column) scan over all positions (shaders/embedding_backward_rowscan.wgsl), in the
// same process, interleaved, median of runs after a warm-up; each run waits for the queue to drain.
// Both sum each row in ascending position order from 0, so their results must agree bit for bit.
//   npx tsx bench/embedding.ts [--backend gles|swiftshader|native|auto] [--runs N] [--cases quick|full]
import { parseArgs } from 'node:util';
import { acquireGpu, type BackendChoice } from '../src/gpu/device.js';
import { grid1d, Runtime } from '../src/gpu/runtime.js';
import { embeddingBackward } from '../src/ops/embedding.js';
import { Tensor, tensorFrom } from '../src/tensor/tensor.js';
import { randomData } from '../test/helpers/random.js';
import { adapterLine, adapterTag, markdownTable } from '../src/bench/format.js';
import { writeResults } from '../src/bench/results.js';
import { timeInterleaved } from '../src/bench/timing.js';
import { runScript } from './lib/run-script.js';

interface Case {
  name: string;
  vocab: number;
  dim: number;
  positions: number;
  /** The id at position p, given a uniform draw u in [0, 1). */
  id: (p: number, u: number, vocab: number) => number;
}

const uniform: Case['id'] = (_, u, vocab) => Math.floor(u * vocab);
const CASES: Record<string, Case[]> = {
  quick: [
    { name: 'tiny BERT words', vocab: 2048, dim: 64, positions: 2048, id: uniform },
    { name: 'tiny BERT positions', vocab: 64, dim: 64, positions: 2048, id: (p) => p % 64 },
    { name: 'tiny BERT token types', vocab: 2, dim: 64, positions: 2048, id: () => 0 },
  ],
  full: [
    { name: 'tiny BERT words', vocab: 2048, dim: 64, positions: 2048, id: uniform },
    { name: 'tiny BERT positions', vocab: 64, dim: 64, positions: 2048, id: (p) => p % 64 },
    { name: 'tiny BERT token types', vocab: 2, dim: 64, positions: 2048, id: () => 0 },
    { name: 'bert-base words', vocab: 30522, dim: 768, positions: 512, id: uniform },
  ],
};

const HELP =
  'usage: npx tsx bench/embedding.ts [--backend gles|swiftshader|native|auto] [--runs N] [--cases quick|full]';

function rowScanBackward(rt: Runtime, ids: Tensor, dy: Tensor, vocab: number, dim: number): Tensor {
  const dtable = new Tensor(rt, [vocab, dim]);
  const kernel = rt.kernel({ shader: 'embedding_backward_rowscan', constants: { WG: 64 } });
  rt.dispatch(kernel, { ids, dy, dtable }, { count: vocab * dim, dim, positions: ids.size }, grid1d(vocab * dim, 64));
  return dtable;
}

interface Row {
  case: Case;
  oldRuns: number[];
  newRuns: number[];
  oldSeconds: number;
  newSeconds: number;
}

async function benchCase(rt: Runtime, c: Case, runs: number): Promise<Row> {
  const ids = tensorFrom(
    rt,
    Array.from(randomData(c.positions, 11, 0, 1), (u, p) => c.id(p, u, c.vocab)),
    [c.positions],
    'i32',
  );
  const dy = tensorFrom(rt, randomData(c.positions * c.dim, 12, -1, 1), [c.positions, c.dim]);
  const variants = [() => rowScanBackward(rt, ids, dy, c.vocab, c.dim), () => embeddingBackward(ids, dy, c.vocab)];
  const [oldBits, newBits] = await Promise.all(
    variants.map(async (make) => {
      const out = make();
      const bits = new Uint32Array(await out.read());
      out.dispose();
      return bits;
    }),
  );
  if (!oldBits!.every((b, i) => b === newBits![i])) throw new Error(`${c.name}: old and new gradients differ`);
  const [old, now] = await timeInterleaved(
    variants.map((make) => async () => {
      const out = make();
      await rt.sync();
      out.dispose();
    }),
    { runs },
  );
  ids.dispose();
  dy.dispose();
  return { case: c, oldRuns: old!.runs, newRuns: now!.runs, oldSeconds: old!.seconds, newSeconds: now!.seconds };
}

const ms = (s: number) => (s * 1000).toPrecision(3);

function table(rows: Row[]): string {
  return markdownTable(
    ['case', 'V × D, N', 'old ms', 'new ms', 'speed-up'],
    rows.map((r) => [
      r.case.name,
      `${r.case.vocab} × ${r.case.dim}, ${r.case.positions}`,
      ms(r.oldSeconds),
      ms(r.newSeconds),
      `${(r.oldSeconds / r.newSeconds).toFixed(1)}×`,
    ]),
  );
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      backend: { type: 'string' },
      runs: { type: 'string', default: '5' },
      cases: { type: 'string', default: 'full' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const cases = CASES[values.cases!];
  if (!cases) throw new Error(`--cases must be one of ${Object.keys(CASES).join(', ')}, got '${values.cases}'`);
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got '${values.runs}'`);
  const gpu = await acquireGpu({ backend: values.backend as BackendChoice | undefined });
  try {
    const rt = new Runtime(gpu);
    console.log(`adapter: ${adapterLine(gpu.info)}`);
    const rows: Row[] = [];
    for (const c of cases) {
      const row = await benchCase(rt, c, runs);
      console.log(`${c.name}: old ${ms(row.oldSeconds)} ms, new ${ms(row.newSeconds)} ms (bit-identical)`);
      rows.push(row);
    }
    const command = `npx tsx bench/embedding.ts --backend ${gpu.info.backend} --runs ${runs} --cases ${values.cases}`;
    const markdown = `### embedding backward on ${adapterLine(gpu.info)}\n\nmedian of ${runs} interleaved runs after a warm-up, \`${command}\`\n\n${table(rows)}`;
    console.log('\n' + markdown);
    const json = {
      adapter: gpu.info,
      runs,
      rows: rows.map(({ case: c, ...r }) => ({
        name: c.name,
        vocab: c.vocab,
        dim: c.dim,
        positions: c.positions,
        ...r,
      })),
    };
    const files = writeResults(`embedding-${adapterTag(gpu.info)}`, markdown, json);
    console.log(`\nwrote ${files.md} and ${files.json}`);
    return 0;
  } finally {
    gpu.release();
  }
}

runScript(main);
