// Mined triplets per second: the GPU score-matrix + mining kernels against the straightforward per-anchor
// TypeScript miner (set-based scores, then mineTripletsCpu), on the same entity sets, in one process.
// Run: npx tsx bench/mining.ts [--backend gles|swiftshader]
import { parseArgs } from 'node:util';
import { acquireGpu, type BackendChoice } from '../src/gpu/device.js';
import { Runtime } from '../src/gpu/runtime.js';
import { encodeBatch } from '../src/mining/encode.js';
import { mineTripletsCpu } from '../src/mining/mine-cpu.js';
import { mineOffline, mineTripletsGpu, scoreMatrixGpu, uploadEntities } from '../src/mining/score-gpu.js';
import { medtrimScore } from '../src/mining/score.js';
import { tidyAsync } from '../src/tensor/tensor.js';
import { randomEntities } from '../test/helpers/entities.js';
import { adapterLine, adapterTag, markdownTable } from '../src/bench/format.js';
import { writeResults } from '../src/bench/results.js';
import { timeInterleaved } from '../src/bench/timing.js';

const { values } = parseArgs({ options: { backend: { type: 'string' } } });
const gpu = await acquireGpu({ backend: values.backend as BackendChoice | undefined });
const rt = new Runtime(gpu);

function cpuMine(entities: ReturnType<typeof randomEntities>): void {
  const n = entities.length;
  const scores = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) scores[i * n + j] = medtrimScore(entities[i]!, entities[j]!);
  mineTripletsCpu(scores, n);
}

const rows: string[][] = [];
const results: unknown[] = [];
for (const n of [64, 256, 1024, 4096]) {
  const entities = randomEntities(n, n);
  const offline = n > 1024;
  const gpuRun = async () => {
    const enc = encodeBatch(entities);
    if (offline) {
      await mineOffline(rt, enc, { blockSize: 1024, anchorBlock: 4096 });
      return;
    }
    await tidyAsync(async () => {
      const batch = uploadEntities(rt, enc);
      const mined = mineTripletsGpu(rt, scoreMatrixGpu(rt, batch, batch));
      await mined.negatives.read();
    });
  };
  const [g, c] = await timeInterleaved([gpuRun, async () => cpuMine(entities)], { warmup: 1, runs: n >= 4096 ? 1 : 3 });
  const label = offline ? `${n} (offline, streamed in blocks of 1024)` : `${n} (in-batch)`;
  rows.push([
    label,
    (n / g!.seconds).toFixed(0),
    (n / c!.seconds).toFixed(0),
    `${(c!.seconds / g!.seconds).toFixed(1)}×`,
  ]);
  results.push({ n, offline, gpuSeconds: g!.seconds, cpuSeconds: c!.seconds });
}

const md = [
  `### triplet mining on ${adapterLine(gpu.info)}`,
  '',
  `anchors mined per second (score matrix + positive/semi-hard negative per anchor, indices back on the host); median of runs; \`npx tsx bench/mining.ts --backend ${gpu.info.backend}\``,
  '',
  markdownTable(['anchors', 'GPU triplets/s', 'TS per-anchor triplets/s', 'GPU/TS'], rows),
].join('\n');
console.log(md);
writeResults(`mining-${adapterTag(gpu.info)}`, md, { adapter: gpu.info, results });
gpu.release();
