// Row-wise top-k of a score matrix (retrieval: the k most similar candidates per query) on the GPU, the
// float64 reference, and the similarity helper. Order: larger value first; equal values → lower column
// first. Inputs must not contain NaN. The GPU pass (shaders/lib/topk_block.wgsl) sorts blocks of up to 1024
// candidates per row in workgroup memory and keeps k of each; passes repeat on the survivors until one
// block per row is left, so a row of 100k columns with k = 100 takes three passes and no row is ever
// sorted whole.
// When a row has fewer than k candidates (k > n, or k = n with its column excluded) the trailing slots
// hold index -1 and value -3.4028234663852886e38 (the lowest f32) on both sides.
import { grid1d, kernelDefs, type Runtime } from '../gpu/runtime.js';
import { Tensor, tensorFrom, tidy } from '../tensor/tensor.js';
import { gather } from './layout.js';
import { matmul, matmulRef } from './matmul.js';
import type { HostTensor } from '../tensor/host.js';

export const LOWEST_F32 = -3.4028234663852886e38;
/** Largest k supported: a pass must shrink the candidate list, so k stays well below the 1024-wide block. */
export const MAX_TOPK = 256;
const MAX_BLOCK = 1024;

export interface TopkOptions {
  /** i32 [rows]: the column to leave out of each row's candidates (-1: none). */
  excludeColumn?: Tensor;
  /** Leave out column (row + diagonalOffset) of each row: the query itself in same-modality retrieval. */
  excludeDiagonal?: boolean;
  /** Added to the row index to find the excluded column (a chunk of rows starting at this query). */
  diagonalOffset?: number;
  /** Widest block one workgroup sorts (a power of two, at least 2k; default 1024). Tests lower it to get many passes cheaply. */
  maxBlock?: number;
}

export interface TopkResult {
  /** f32 [rows, k]. */
  values: Tensor;
  /** i32 [rows, k]; -1 where a row has fewer than k candidates. */
  indices: Tensor;
}

/** The first pass reads the score matrix (topk_matrix.wgsl), later ones the survivors' lists (topk_list.wgsl). */
const topkDef = kernelDefs((source: 'matrix' | 'list') => ({ shader: `topk_${source}` }));

function nextPow2(x: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(2, x)));
}

/** One pass: [rows, m] candidates → [rows, blocks·k] survivors. */
function topkPass(
  rt: Runtime,
  values: Tensor,
  second: { exclude: Tensor } | { indices: Tensor },
  k: number,
  maxBlock: number,
): TopkResult {
  const [rows, m] = values.shape as [number, number];
  // A row that fits one block is sorted whole; longer rows are cut into blocks of at least 2k, so each pass
  // at least halves the survivors.
  const block = m <= maxBlock ? nextPow2(Math.max(m, k)) : maxBlock;
  const blocks = Math.ceil(m / block);
  const wg = Math.min(block / 2, 256, rt.maxInvocations);
  const kernel = rt.kernelOf(topkDef('exclude' in second ? 'matrix' : 'list'), { WG: wg, BLOCK: block });
  const out = { values: new Tensor(rt, [rows, blocks * k]), indices: new Tensor(rt, [rows, blocks * k], 'i32') };
  rt.dispatch(
    kernel,
    { values, ...second, out_values: out.values, out_indices: out.indices },
    { rows, m, blocks, k },
    grid1d(rows * blocks, 1),
  );
  return out;
}

function excludeTensor(rt: Runtime, rows: number, options: TopkOptions): Tensor {
  if (options.excludeColumn) {
    const e = options.excludeColumn;
    if (e.dtype !== 'i32' || e.size !== rows)
      throw new Error(`topk: excludeColumn must be i32 [${rows}], got ${e.dtype} [${e.shape.join(', ')}]`);
    if (options.excludeDiagonal) throw new Error('topk: give excludeColumn or excludeDiagonal, not both');
    return e;
  }
  const offset = options.diagonalOffset ?? 0;
  const columns = Int32Array.from({ length: rows }, (_, i) => (options.excludeDiagonal ? i + offset : -1));
  return tensorFrom(rt, columns, [rows], 'i32');
}

function checkK(k: number, where: string): void {
  if (!Number.isInteger(k) || k < 1 || k > MAX_TOPK)
    throw new Error(`${where}: k must be an integer in [1, ${MAX_TOPK}], got ${k}`);
}

/** The k largest entries of each row of a [rows, n] f32 matrix (see the file comment for order and padding). */
export function topk(scores: Tensor, k: number, options: TopkOptions = {}): TopkResult {
  if (scores.rank !== 2 || scores.dtype !== 'f32')
    throw new Error(`topk: scores must be f32 [rows, n], got ${scores.dtype} [${scores.shape.join(', ')}]`);
  checkK(k, 'topk');
  const maxBlock = options.maxBlock ?? MAX_BLOCK;
  if (!(maxBlock <= MAX_BLOCK && maxBlock >= 2 * k && nextPow2(maxBlock) === maxBlock)) {
    throw new Error(
      `topk: maxBlock must be a power of two in [2k, ${MAX_BLOCK}] = [${2 * k}, ${MAX_BLOCK}], got ${maxBlock}`,
    );
  }
  const rt = scores.runtime;
  const rows = scores.shape[0]!;
  return tidy(() => {
    let current = topkPass(rt, scores, { exclude: excludeTensor(rt, rows, options) }, k, maxBlock);
    while (current.values.shape[1]! > k)
      current = topkPass(rt, current.values, { indices: current.indices }, k, maxBlock);
    return current;
  });
}

export interface HostTopk {
  values: Float64Array;
  indices: Int32Array;
}

/** Float64 reference: a stable sort of each row's (value, column) pairs. `exclude[i]` = column left out of row i (-1: none). */
export function topkRef(scores: HostTensor, k: number, exclude?: ArrayLike<number>): HostTopk {
  const [rows, n] = scores.shape as [number, number];
  const values = new Float64Array(rows * k).fill(LOWEST_F32);
  const indices = new Int32Array(rows * k).fill(-1);
  for (let r = 0; r < rows; r++) {
    const columns = [...Array(n).keys()].filter((c) => c !== (exclude?.[r] ?? -1));
    const row = (c: number) => scores.data[r * n + c]!;
    columns.sort((a, b) => row(b) - row(a) || a - b);
    columns.slice(0, k).forEach((c, s) => {
      values[r * k + s] = row(c);
      indices[r * k + s] = c;
    });
  }
  return { values, indices };
}

/** Cosine similarity of L2-normalised embeddings: queries [q, d] · keys [n, d]ᵀ → [q, n]. */
export function similarity(queries: Tensor, keys: Tensor): Tensor {
  return matmul(queries, keys, { transB: true });
}

export function similarityRef(queries: HostTensor, keys: HostTensor): HostTensor {
  return matmulRef(queries, keys, { transB: true });
}

export interface RetrieveOptions {
  /** Same-modality retrieval: leave each query's own item (query i ↔ key i) out. */
  excludeSelf?: boolean;
  /** Upper bound on the similarity block held at once (bytes); queries are processed in row chunks. */
  maxBlockBytes?: number;
}

/**
 * The k nearest keys of every query, streamed over query chunks so only a [chunk, n] similarity block lives
 * on the GPU at a time. Returns host arrays [q, k] (indices -1 where fewer than k candidates exist).
 */
export async function retrieveTopk(
  queries: Tensor,
  keys: Tensor,
  k: number,
  options: RetrieveOptions = {},
): Promise<{ values: Float32Array; indices: Int32Array }> {
  checkK(k, 'retrieveTopk');
  const rt = queries.runtime;
  const [q, n] = [queries.shape[0]!, keys.shape[0]!];
  const chunk = Math.max(1, Math.floor((options.maxBlockBytes ?? 64 << 20) / (4 * Math.max(n, 1))));
  const values = new Float32Array(q * k);
  const indices = new Int32Array(q * k);
  for (let start = 0; start < q; start += chunk) {
    const rows = Math.min(chunk, q - start);
    const part = tidy(() => {
      const slice =
        q === rows
          ? queries
          : gather(
              queries,
              tensorFrom(
                rt,
                Int32Array.from({ length: rows }, (_, i) => start + i),
                [rows],
                'i32',
              ),
              0,
            );
      return topk(similarity(slice, keys), k, { excludeDiagonal: options.excludeSelf, diagonalOffset: start });
    });
    values.set((await part.values.read()) as Float32Array, start * k);
    indices.set((await part.indices.read()) as Int32Array, start * k);
    part.values.dispose();
    part.indices.dispose();
  }
  return { values, indices };
}
