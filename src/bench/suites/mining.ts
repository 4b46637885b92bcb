// Mining suite: the GPU score matrix + in-batch triplet mining kernels against the per-anchor TypeScript miner
// (the f32 CPU twin of the score kernel, then mineTripletsCpu) on the same random entity encodings.
import type { EncodedBatch } from '../../mining/encode.js';
import { scoreMatrixFromEncoding } from '../../mining/encode.js';
import { mineTripletsCpu } from '../../mining/mine-cpu.js';
import { mineTripletsGpu, scoreMatrixGpu, uploadEntities } from '../../mining/score-gpu.js';
import { tidy } from '../../tensor/tensor.js';
import { maxAbsDiff, randomInts } from '../random.js';
import type { BenchCase, Suite, SuiteContext } from '../types.js';

/** The ontology's shape (14 classes, one word each of adjectives and directions), few values so scores tie often. */
export function randomEncoding(n: number, seed: number, numClasses = 14): EncodedBatch {
  const draws = randomInts(n * (1 + 2 * numClasses), seed, 1 << 6);
  const enc: EncodedBatch = {
    n,
    numClasses,
    adjWords: 1,
    dirWords: 1,
    diseaseBits: new Uint32Array(n),
    adjBits: new Uint32Array(n * numClasses),
    dirBits: new Uint32Array(n * numClasses),
  };
  for (let i = 0; i < n; i++) {
    const base = i * (1 + 2 * numClasses);
    enc.diseaseBits[i] = draws[base]!;
    for (let c = 0; c < numClasses; c++) {
      if (((draws[base]! >>> c) & 1) === 0) continue;
      enc.adjBits[i * numClasses + c] = draws[base + 1 + c]! & 0x1f;
      enc.dirBits[i * numClasses + c] = draws[base + 1 + numClasses + c]! & 0x1f;
    }
  }
  return enc;
}

function miningCase(ctx: SuiteContext, n: number, seed: number): BenchCase {
  return {
    name: `in-batch n ${n}`,
    unit: 'GB/s',
    work: 12 * n * n,
    async prepare() {
      const rt = ctx.rt;
      const enc = randomEncoding(n, seed);
      const batch = uploadEntities(rt, enc);
      batch.packed.keep();
      const ours = () => mineTripletsGpu(rt, scoreMatrixGpu(rt, batch, batch));
      const theirs = () => mineTripletsCpu(scoreMatrixFromEncoding(enc), n);
      return {
        ours: () => void ours(),
        peer: { kind: 'host', name: 'TS miner', run: () => void theirs() },
        async maxAbsDiff() {
          const mined = tidy(() => {
            const m = ours();
            return [m.positives.keep(), m.negatives.keep()];
          });
          const cpu = theirs();
          const diff = Math.max(
            maxAbsDiff(await mined[0]!.read(), cpu.positives),
            maxAbsDiff(await mined[1]!.read(), cpu.negatives),
          );
          for (const t of mined) t.dispose();
          return diff;
        },
        dispose: () => batch.packed.dispose(),
      };
    },
  };
}

export const miningSuite: Suite = {
  name: 'mining',
  model:
    'MedTrim score matrix of a batch with itself, then the positive and semi-hard negative per anchor (GPU: score_matrix + two mine_triplets passes; peer: the per-anchor TypeScript miner on the host). Bytes: 12·n² (the score matrix written once, read by each mining pass). Max abs diff compares the mined indices (0: identical triplets).',
  cases: (ctx) => (ctx.quick ? [64, 256] : [64, 256, 1024, 2048]).map((n, i) => miningCase(ctx, n, 800 + i)),
};
