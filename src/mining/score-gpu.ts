// The MedTrim score matrix and triplet mining on the GPU (shaders/score_matrix.wgsl,
// shaders/mine_triplets.wgsl). References: scoreMatrixFromEncoding (encode.ts) for scores, bit for bit, and
// mineTripletsCpu (mine-cpu.ts) for mining. In-batch mining is one block; offline mining streams a large
// pool through the same kernels in column blocks, so memory stays at anchors × block.
import { defineKernel, grid1d, type Runtime } from '../gpu/runtime.js';
import { Tensor, tensorFrom, tidy } from '../tensor/tensor.js';
import { reciprocalTable, type EncodedBatch } from './encode.js';
import { defaultMiningOptions, type MiningOptions } from './mine-cpu.js';
import { defaultGammas, type Gammas } from './score.js';

const WG = 64;
const scoreMatrixDef = defineKernel({ shader: 'score_matrix' });
const mineTripletsDef = defineKernel({ shader: 'mine_triplets' });
/** u32 words per MineState in mine_triplets.wgsl. */
const MINE_STATE_WORDS = 6;

/** Per-sample packed words: [disease][adjectives: C × adjWords][directions: C × dirWords]. */
export function packEncoding(enc: EncodedBatch): Uint32Array {
  const { n, numClasses: c, adjWords, dirWords } = enc;
  const stride = 1 + c * (adjWords + dirWords);
  const packed = new Uint32Array(n * stride);
  for (let i = 0; i < n; i++) {
    packed[i * stride] = enc.diseaseBits[i]!;
    packed.set(enc.adjBits.subarray(i * c * adjWords, (i + 1) * c * adjWords), i * stride + 1);
    packed.set(enc.dirBits.subarray(i * c * dirWords, (i + 1) * c * dirWords), i * stride + 1 + c * adjWords);
  }
  return packed;
}

/** A batch of entity encodings resident on the GPU. */
export interface GpuEntities {
  n: number;
  numClasses: number;
  adjWords: number;
  dirWords: number;
  packed: Tensor;
}

export function uploadEntities(rt: Runtime, enc: EncodedBatch, first = 0, count = enc.n - first): GpuEntities {
  const stride = 1 + enc.numClasses * (enc.adjWords + enc.dirWords);
  const packed = packEncoding(enc).subarray(first * stride, (first + count) * stride);
  return {
    n: count,
    numClasses: enc.numClasses,
    adjWords: enc.adjWords,
    dirWords: enc.dirWords,
    packed: tensorFrom(rt, packed, [count, stride], 'u32'),
  };
}

const recipTables = new WeakMap<Runtime, Tensor>();
function reciprocals(rt: Runtime): Tensor {
  let t = recipTables.get(rt);
  if (!t) {
    // Counts never exceed 32 · words; 256 covers 8 words per descriptor set.
    t = tensorFrom(rt, reciprocalTable(256), [257]).keep();
    recipTables.set(rt, t);
  }
  return t;
}

/** scores[i, j] = S(anchors[i], candidates[j]), shape [anchors.n, candidates.n]. */
export function scoreMatrixGpu(
  rt: Runtime,
  anchors: GpuEntities,
  candidates: GpuEntities,
  gammas: Gammas = defaultGammas,
): Tensor {
  if (
    anchors.numClasses !== candidates.numClasses ||
    anchors.adjWords !== candidates.adjWords ||
    anchors.dirWords !== candidates.dirWords
  ) {
    throw new Error('scoreMatrixGpu: anchors and candidates were encoded with different vocabularies');
  }
  const scores = new Tensor(rt, [anchors.n, candidates.n]);
  const kernel = rt.kernelOf(scoreMatrixDef, { WG });
  rt.dispatch(
    kernel,
    { anchors: anchors.packed, candidates: candidates.packed, recip: reciprocals(rt), scores },
    {
      n_anchors: anchors.n,
      n_candidates: candidates.n,
      num_classes: anchors.numClasses,
      adj_words: anchors.adjWords,
      dir_words: anchors.dirWords,
      g0: gammas.disease,
      g1: gammas.adjective,
      g2: gammas.direction,
    },
    grid1d(anchors.n * candidates.n, WG),
  );
  return scores;
}

interface MiningState {
  state: Tensor;
  positives: Tensor;
  negatives: Tensor;
}

function minePass(
  rt: Runtime,
  pass: 0 | 1,
  block: Tensor,
  s: MiningState,
  cols: { offset: number; anchorOffset: number; excludeSelf: boolean; first: boolean },
  o: MiningOptions,
): void {
  const nAnchors = block.shape[0]!;
  const kernel = rt.kernelOf(mineTripletsDef, { PASS: pass, WG });
  rt.dispatch(
    kernel,
    { scores: block, state: s.state, positives: s.positives, negatives: s.negatives },
    {
      n_anchors: nAnchors,
      n_cols: block.shape[1]!,
      col_offset: cols.offset,
      anchor_offset: cols.anchorOffset,
      exclude_self: cols.excludeSelf ? 1 : 0,
      first_block: cols.first ? 1 : 0,
      tau_min: o.tauMin,
      tau_max: o.tauMax,
    },
    grid1d(nAnchors, WG),
  );
}

/**
 * In-batch mining from an n × n score matrix (row = anchor; the anchor itself is excluded). Returns i32
 * tensors of positive and negative indices, -1 for anchors without a valid triplet.
 */
export function mineTripletsGpu(
  rt: Runtime,
  scores: Tensor,
  options: MiningOptions = defaultMiningOptions,
): { positives: Tensor; negatives: Tensor } {
  const n = scores.shape[0]!;
  if (scores.rank !== 2 || scores.shape[1] !== n)
    throw new Error(`mineTripletsGpu: expected a square score matrix, got [${scores.shape.join(', ')}]`);
  const s: MiningState = {
    state: new Tensor(rt, [n, MINE_STATE_WORDS], 'u32'),
    positives: new Tensor(rt, [n], 'i32'),
    negatives: new Tensor(rt, [n], 'i32'),
  };
  for (const pass of [0, 1] as const)
    minePass(rt, pass, scores, s, { offset: 0, anchorOffset: 0, excludeSelf: true, first: true }, options);
  s.state.dispose();
  return { positives: s.positives, negatives: s.negatives };
}

export interface OfflineMiningOptions extends MiningOptions {
  gammas?: Gammas;
  /** Pool samples scored per block (memory is anchors × blockSize floats). */
  blockSize?: number;
  /** Anchors mined per round. */
  anchorBlock?: number;
}

/**
 * Mines a positive and a negative in the whole pool for every pool sample (the anchors are the pool itself),
 * streaming the pool in blocks: nothing of size pool × pool is ever allocated.
 */
export async function mineOffline(
  rt: Runtime,
  pool: EncodedBatch,
  options: Partial<OfflineMiningOptions> = {},
): Promise<{ positives: Int32Array; negatives: Int32Array; valid: number }> {
  const o = { ...defaultMiningOptions, gammas: defaultGammas, blockSize: 2048, anchorBlock: 4096, ...options };
  const positives = new Int32Array(pool.n);
  const negatives = new Int32Array(pool.n);
  const candidateBlocks: GpuEntities[] = [];
  for (let c = 0; c < pool.n; c += o.blockSize)
    candidateBlocks.push(uploadEntities(rt, pool, c, Math.min(o.blockSize, pool.n - c)));
  try {
    for (let a0 = 0; a0 < pool.n; a0 += o.anchorBlock) {
      const count = Math.min(o.anchorBlock, pool.n - a0);
      const anchors = uploadEntities(rt, pool, a0, count);
      const s: MiningState = {
        state: new Tensor(rt, [count, MINE_STATE_WORDS], 'u32'),
        positives: new Tensor(rt, [count], 'i32'),
        negatives: new Tensor(rt, [count], 'i32'),
      };
      for (const pass of [0, 1] as const) {
        candidateBlocks.forEach((block, b) => {
          tidy(() => {
            const scores = scoreMatrixGpu(rt, anchors, block, o.gammas);
            minePass(
              rt,
              pass,
              scores,
              s,
              { offset: b * o.blockSize, anchorOffset: a0, excludeSelf: true, first: b === 0 },
              o,
            );
          });
          rt.flush();
        });
      }
      positives.set((await s.positives.read()) as Int32Array, a0);
      negatives.set((await s.negatives.read()) as Int32Array, a0);
      for (const t of [anchors.packed, s.state, s.positives, s.negatives]) t.dispose();
    }
  } finally {
    for (const block of candidateBlocks) block.packed.dispose();
  }
  let valid = 0;
  for (const p of positives) if (p >= 0) valid++;
  return { positives, negatives, valid };
}
