// Fused scaled-dot-product attention, flash-style (shaders/attention_*.wgsl): the forward streams key/value
// blocks with an online softmax and saves only the log-sum-exp per query row; the backward (FlashAttention-2)
// recomputes probabilities from it in two kernels — one per query block for dQ (which also computes
// delta = rowsum(dO∘O) and writes P and dS to a scratch), one per key block for dK and dV (reading P and dS back
// instead of recomputing them) — so no float atomics are needed. The scratch is
// 2 × batch·heads·4⌈seqQ/4⌉·⌈seqK/4⌉·16 bytes, freed when the backward's kernels are recorded: on the CPU adapters
// we run on, a second recomputation of QKᵀ and dO·Vᵀ cost more than storing them (bench/attention.ts).
// Each kernel comes in two variants (AttentionVariant below): tiles in workgroup memory, or streaming.
// Float64 references for both directions sit beside the launchers.
//
// Layout: 'bhsd' is [batch, heads, seq, headDim]; 'bshd' is [batch, seq, heads, headDim] or, with `heads`
// given, [batch, seq, heads·headDim] — what a BERT/ViT block's Q/K/V projections produce, read in place
// through strides, and the output comes back in the same layout, ready for the output projection.
// A query row with no attendable key (all padding, or causal with no key) has output 0, gradients 0 and
// lse = LOG_ZERO.
import { record } from '../tensor/tape.js';
import { isSoftware } from '../gpu/device.js';
import { kernelDefs, type Kernel, type Runtime } from '../gpu/runtime.js';
import type { HostTensor } from '../tensor/host.js';
import { Tensor, type Shape } from '../tensor/tensor.js';

export type AttentionLayout = 'bhsd' | 'bshd';

export interface AttentionOptions<T = Tensor> {
  layout?: AttentionLayout;
  /** Head count, needed only for the rank-3 'bshd' layout [batch, seq, heads·headDim]. */
  heads?: number;
  /** [batch, seqK]: nonzero keeps a key, 0 masks it (f32, i32 or u32). */
  keyPadding?: T;
  /** Query i attends to keys j ≤ i (top-left aligned when seqQ ≠ seqK). */
  causal?: boolean;
  /** Default 1/√headDim. */
  scale?: number;
}

/** The lse of a row with no attendable key: log 0, as the lowest finite f32 (WGSL has no -inf literal). */
export const LOG_ZERO = -3.4028234663852886e38;

interface Strides {
  batch: number;
  head: number;
  row: number;
}

export interface AttentionGeometry {
  batch: number;
  heads: number;
  seqQ: number;
  seqK: number;
  headDim: number;
  q: Strides;
  kv: Strides;
}

function describe(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** batch, heads, seq, headDim of one operand in the given layout. */
function splitShape(
  shape: Shape,
  layout: AttentionLayout,
  heads: number | undefined,
  name: string,
): [number, number, number, number] {
  if (layout === 'bhsd' && shape.length === 4) return shape as unknown as [number, number, number, number];
  if (layout === 'bshd' && shape.length === 4) return [shape[0]!, shape[2]!, shape[1]!, shape[3]!];
  if (layout === 'bshd' && shape.length === 3) {
    if (!heads || shape[2]! % heads !== 0)
      throw new Error(`attention: ${name} ${describe(shape)} in layout bshd needs 'heads' dividing ${shape[2]}`);
    return [shape[0]!, heads, shape[1]!, shape[2]! / heads];
  }
  throw new Error(`attention: ${name} ${describe(shape)} does not fit layout ${layout}`);
}

function stridesFor(layout: AttentionLayout, heads: number, seq: number, headDim: number): Strides {
  return layout === 'bhsd'
    ? { batch: heads * seq * headDim, head: seq * headDim, row: headDim }
    : { batch: seq * heads * headDim, head: headDim, row: heads * headDim };
}

export function attentionGeometry(
  q: Shape,
  k: Shape,
  v: Shape,
  opts: AttentionOptions<{ shape: Shape }>,
): AttentionGeometry {
  const layout = opts.layout ?? 'bhsd';
  const [batch, heads, seqQ, headDim] = splitShape(q, layout, opts.heads, 'q');
  const [kb, kh, seqK, kd] = splitShape(k, layout, opts.heads, 'k');
  if (kb !== batch || kh !== heads || kd !== headDim)
    throw new Error(`attention: k ${describe(k)} does not match q ${describe(q)}`);
  if (describe(v) !== describe(k)) throw new Error(`attention: v ${describe(v)} differs from k ${describe(k)}`);
  if (headDim % 4 !== 0) throw new Error(`attention: head dim ${headDim} must be a multiple of 4`);
  const mask = opts.keyPadding?.shape;
  if (mask && describe(mask) !== describe([batch, seqK]))
    throw new Error(`attention: keyPadding ${describe(mask)} should be [${batch}, ${seqK}]`);
  return {
    batch,
    heads,
    seqQ,
    seqK,
    headDim,
    q: stridesFor(layout, heads, seqQ, headDim),
    kv: stridesFor(layout, heads, seqK, headDim),
  };
}

type AttentionKernel = 'forward' | 'backward_dq' | 'backward_dkdv';

export interface AttentionTiles {
  WG_X: number;
  WG_Y: number;
}

// Workgroup bytes of each kernel: vec4 tiles of ROWS and COLS rows (DQ quads each), vec4 score tiles
// (COLS × ROWS/4), and per-row scalars — mirrors the var<workgroup> declarations of the shaders.
const STAGING: Record<
  AttentionKernel,
  { rowTiles: number; colTiles: number; scoreTiles: number; scalars(t: AttentionTiles): number }
> = {
  forward: { rowTiles: 1, colTiles: 2, scoreTiles: 1, scalars: (t) => 4 * 4 * t.WG_Y * t.WG_X },
  backward_dq: { rowTiles: 2, colTiles: 2, scoreTiles: 1, scalars: (t) => 2 * 4 * t.WG_Y },
  backward_dkdv: { rowTiles: 0, colTiles: 2, scoreTiles: 2, scalars: () => 0 },
};

// The 'tiled' variant's choices below were measured on the CPU adapters, when it still ran there (it runs there now
// only when pinned, as in tests and bench/attention.ts); on GPUs, where it is the default, they are not tuned yet —
// scripts/bench-gpu.sh times it.
// Tilings in order of preference, per adapter (measured with each kernel alone, seq 64 and 256, head dim 64).
// llvmpipe runs fastest with 8 invocations across the head dim (2 quads each): smaller per-invocation
// accumulators. SwiftShader prefers 4 across (4 quads each): fewer, larger workgroups.
const WIDE_FIRST: AttentionTiles[] = [
  { WG_X: 8, WG_Y: 8 },
  { WG_X: 8, WG_Y: 4 },
  { WG_X: 8, WG_Y: 2 },
  { WG_X: 4, WG_Y: 8 },
  { WG_X: 4, WG_Y: 4 },
  { WG_X: 2, WG_Y: 4 },
  { WG_X: 2, WG_Y: 2 },
  { WG_X: 1, WG_Y: 1 },
];
const NARROW_FIRST: AttentionTiles[] = [
  { WG_X: 4, WG_Y: 8 },
  { WG_X: 4, WG_Y: 4 },
  { WG_X: 8, WG_Y: 4 },
  { WG_X: 2, WG_Y: 4 },
  { WG_X: 2, WG_Y: 2 },
  { WG_X: 1, WG_Y: 1 },
];

function tileCandidates(rt: Runtime): AttentionTiles[] {
  return rt.gpu.info.backend === 'gles' ? WIDE_FIRST : NARROW_FIRST;
}

/**
 * ROWS_IN_REGISTERS (shaders/lib/attention_common.wgsl) per adapter: on llvmpipe, each invocation's query rows in
 * registers (with keyBlocks below) made fused forward+backward faster against tfjs (`medtrim bench attention --quick
 * --backend gles`, bench/results/suite-gles-llvmpipe.md); SwiftShader spills per-invocation arrays to memory and
 * was not faster, so it keeps reading the tiles.
 */
function rowsInRegisters(rt: Runtime, kernel: AttentionKernel): boolean {
  return rt.gpu.info.backend === 'gles' && kernel !== 'backward_dkdv';
}

/** Head-dim quads each invocation accumulates. */
function quadsPerThread(tiles: AttentionTiles, headDim: number): number {
  return Math.ceil(headDim / 4 / tiles.WG_X);
}

/**
 * Blocks of 4 keys each dK/dV invocation owns (KEY_BLOCKS in attention_backward_dkdv.wgsl): 2 on llvmpipe, where
 * each dO/Q quad read from the tiles then serves twice the keys (see rowsInRegisters for the measurement); 1
 * elsewhere (SwiftShader spills the larger accumulators and ran slower). The other kernels own 1.
 */
function keyBlocks(rt: Runtime, kernel: AttentionKernel): number {
  return kernel === 'backward_dkdv' && rt.gpu.info.backend === 'gles' ? 2 : 1;
}

function workgroupBytes(kernel: AttentionKernel, tiles: AttentionTiles, headDim: number, blocks: number): number {
  const s = STAGING[kernel];
  const rows = 4 * tiles.WG_Y * blocks;
  const cols = 4 * tiles.WG_X;
  const dq = tiles.WG_X * quadsPerThread(tiles, headDim);
  return (
    16 * (s.rowTiles * rows * dq + s.colTiles * cols * dq + s.scoreTiles * cols * tiles.WG_Y * blocks) +
    4 * s.scalars(tiles)
  );
}

/** The largest tiling of `kernel` the device's workgroup storage and invocation limits allow. */
export function attentionTiles(rt: Runtime, kernel: AttentionKernel, headDim: number): AttentionTiles {
  const storage = rt.limits.maxComputeWorkgroupStorageSize ?? 16384;
  const blocks = keyBlocks(rt, kernel);
  const fits = (t: AttentionTiles) =>
    t.WG_X * t.WG_Y <= rt.maxInvocations && workgroupBytes(kernel, t, headDim, blocks) <= storage;
  const tiles = tileCandidates(rt).find(fits);
  if (!tiles) throw new Error(`attention: head dim ${headDim} does not fit in ${storage} bytes of workgroup storage`);
  return tiles;
}

/**
 * How the fused kernels split the work. 'tiled' (attention_*.wgsl) stages tiles of the other side in workgroup
 * memory behind barriers, each invocation owning a 4×4 block of the score tile: the GPU shape.
 * 'stream' (attention_*_stream.wgsl) has no workgroup memory: each invocation owns 4, 8 or 16 rows in registers
 * and the workgroup's invocations read the same keys (or queries) straight from storage: the CPU rasterizers'
 * shape. On llvmpipe and SwiftShader 'stream' beats both 'tiled' and attention composed of our matmul and softmax:
 * `npx tsx bench/attention.ts` times all three (bench/results/attention-<adapter>.md).
 */
export type AttentionVariant = 'tiled' | 'stream';
export const ATTENTION_VARIANTS: readonly AttentionVariant[] = ['tiled', 'stream'];

const pinnedVariant = new WeakMap<Runtime, AttentionVariant>();

/** Pins the variant a runtime's attention uses (tests and benchmarks run both); undefined restores the default. */
export function useAttentionVariant(rt: Runtime, variant: AttentionVariant | undefined): void {
  if (variant) pinnedVariant.set(rt, variant);
  else pinnedVariant.delete(rt);
}

/** The pinned variant, else 'stream' on a CPU rasterizer and 'tiled' on a GPU. */
export function attentionVariant(rt: Runtime): AttentionVariant {
  return pinnedVariant.get(rt) ?? (isSoftware(rt.gpu.info) ? 'stream' : 'tiled');
}

/** Invocations of a 'stream' workgroup: one llvmpipe SIMD register of lanes (8 × f32 with AVX2). */
const STREAM_LANES = 8;

/** Storage bindings each 'stream' kernel reads rows of through `<name>_quads`. */
const STREAM_READS: Record<AttentionKernel, string[]> = {
  forward: ['q', 'k', 'v'],
  backward_dq: ['q', 'k', 'v', 'out', 'd_out'],
  backward_dkdv: ['q', 'd_out'],
};

/**
 * WGSL `<name>_quads(base, stride, row0, count, quad)` per binding: a mat4x4 whose column i is head-dim quad `quad`
 * of row row0 + i (at base + row·stride + quad), zero for rows at or past `count` — the read itself is clamped
 * into the buffer, and the select keeps a neighbouring head's rows or stale pool memory (possibly NaN) out.
 * Generated, the one WGSL the engine writes in TS (test/wgsl-sources.test.ts allows it here only): core WGSL takes
 * no pointer to storage as a function parameter (unrestricted_pointer_parameters is not on every adapter), so each
 * binding needs its own reader, and a file holding all five would not compile in a kernel that lacks a binding.
 */
function quadReaders(bindings: string[]): string {
  const column = (name: string, i: number) =>
    `select(vec4<f32>(0.0), ${name}[at + ${i}u * stride], row0 + ${i}u < count)`;
  return bindings
    .map(
      (name) => `fn ${name}_quads(base: u32, stride: u32, row0: u32, count: u32, quad: u32) -> mat4x4<f32> {
  let at = base + row0 * stride + quad;
  return mat4x4<f32>(${[0, 1, 2, 3].map((i) => column(name, i)).join(', ')});
}`,
    )
    .join('\n');
}

/**
 * Row blocks (of 4) each 'stream' invocation owns, for a kernel splitting `rows` rows: 1 below 64 rows, where more
 * would leave most lanes idle; 2 from 64 on llvmpipe, whose compile time grows steeply with 4; 4 from 256 rows on
 * the other CPU adapters, which compile it quickly and run it faster against the composed path (SwiftShader:
 * `npx tsx bench/attention.ts --backend swiftshader`, bench/results/attention-swiftshader-swiftshader.md).
 */
function streamRowBlocks(rt: Runtime, rows: number): number {
  if (rows < 64) return 1;
  return rows >= 256 && rt.gpu.info.backend !== 'gles' ? 4 : 2;
}

/** The streaming kernels by 'kernel,headDim,rowBlocks'. */
const streamDef = kernelDefs((variant: string) => {
  const [kernel, headDim, blocks] = variant.split(',') as [AttentionKernel, string, string];
  return {
    shader: `attention_${kernel}_stream`,
    template: {
      HEAD_QUADS: String(Number(headDim) / 4),
      TQ: '1',
      ROW_BLOCKS: blocks,
      READERS: quadReaders(STREAM_READS[kernel]),
    },
    repeat: { R: Number(blocks), Q: Number(headDim) / 4 },
  };
});

/** The tiled kernels by 'kernel,headDim,quadsPerThread,keyBlocks'. */
const tiledDef = kernelDefs((variant: string) => {
  const [kernel, headDim, quads, blocks] = variant.split(',') as [AttentionKernel, string, string, string];
  return {
    shader: `attention_${kernel}`,
    template: {
      HEAD_QUADS: String(Number(headDim) / 4),
      TQ: quads,
      KEY_BLOCKS: blocks,
    },
  };
});

function compileKernel(
  rt: Runtime,
  kernel: AttentionKernel,
  headDim: number,
  rows: number,
): { compiled: Kernel; rowsPerGroup: number } {
  if (attentionVariant(rt) === 'stream') {
    const blocks = streamRowBlocks(rt, rows);
    const rowsPerGroup = 4 * blocks * STREAM_LANES;
    const compiled = rt.kernelOf(streamDef(`${kernel},${headDim},${blocks}`), {
      WG_X: STREAM_LANES,
      WG_Y: 1,
      ROWS: rowsPerGroup,
    });
    return { compiled, rowsPerGroup };
  }
  const tiles = attentionTiles(rt, kernel, headDim);
  const blocks = keyBlocks(rt, kernel);
  const rowsPerGroup = 4 * tiles.WG_Y * blocks;
  const compiled = rt.kernelOf(tiledDef(`${kernel},${headDim},${quadsPerThread(tiles, headDim)},${blocks}`), {
    ...tiles,
    ROWS: rowsPerGroup,
    ROWS_IN_REGISTERS: rowsInRegisters(rt, kernel) ? 1 : 0,
  });
  return { compiled, rowsPerGroup };
}

function launch(
  rt: Runtime,
  kernel: AttentionKernel,
  g: AttentionGeometry,
  opts: AttentionOptions,
  buffers: Record<string, Tensor>,
): void {
  const blockRows = kernel === 'backward_dkdv' ? g.seqK : g.seqQ;
  const { compiled, rowsPerGroup } = compileKernel(rt, kernel, g.headDim, blockRows);
  // Strides go to the kernels in quads (every one is a multiple of the head dim, itself a multiple of 4).
  const uniforms = {
    seq_q: g.seqQ,
    seq_k: g.seqK,
    heads: g.heads,
    q_batch: g.q.batch / 4,
    q_head: g.q.head / 4,
    q_row: g.q.row / 4,
    kv_batch: g.kv.batch / 4,
    kv_head: g.kv.head / 4,
    kv_row: g.kv.row / 4,
    scale: opts.scale ?? 1 / Math.sqrt(g.headDim),
    causal: opts.causal ? 1 : 0,
    has_mask: opts.keyPadding ? 1 : 0,
    key_quads: Math.ceil(g.seqK / 4),
  };
  // Without a mask the binding still needs a buffer; the kernel never reads it (has_mask = 0).
  const keyMask = opts.keyPadding ?? buffers.q!;
  rt.dispatch(compiled, { ...buffers, key_mask: keyMask }, uniforms, [
    Math.ceil(blockRows / rowsPerGroup),
    g.batch * g.heads,
  ]);
}

function checkF32(tensors: Record<string, Tensor>): void {
  for (const [name, t] of Object.entries(tensors))
    if (t.dtype !== 'f32') throw new Error(`attention: ${name} must be f32, got ${t.dtype}`);
}

/** out (same layout and shape as q) and lse [batch, heads, seqQ], the log-sum-exp of each query row's scores. */
export function attentionForward(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  opts: AttentionOptions = {},
): { out: Tensor; lse: Tensor } {
  checkF32({ q, k, v });
  const g = attentionGeometry(q.shape, k.shape, v.shape, opts);
  const rt = q.runtime;
  const out = new Tensor(rt, q.shape);
  const lse = new Tensor(rt, [g.batch, g.heads, g.seqQ]);
  launch(rt, 'forward', g, opts, { q, k, v, out, lse });
  return { out, lse };
}

/** The differentiable op: the forward saves lse for the fused backward, which recomputes from it. */
export function attention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): Tensor {
  const { out, lse } = attentionForward(q, k, v, opts);
  const rule = (dOut: Tensor) => {
    const { dq, dk, dv } = attentionBackward(q, k, v, out, lse, dOut, opts);
    return [dq, dk, dv];
  };
  return record('attention', out, [q, k, v], rule, [lse]);
}

/**
 * Gradients of sum(dOut ∘ attention(q, k, v)) from the forward's out and lse; with `into`, written there (each of
 * its operand's shape, e.g. planes of one batched gradient) instead of fresh tensors.
 */
export function attentionBackward(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  out: Tensor,
  lse: Tensor,
  dOut: Tensor,
  opts: AttentionOptions = {},
  into?: { dq: Tensor; dk: Tensor; dv: Tensor },
): { dq: Tensor; dk: Tensor; dv: Tensor } {
  checkF32({ q, k, v, out, lse, dOut });
  const g = attentionGeometry(q.shape, k.shape, v.shape, opts);
  if (describe(out.shape) !== describe(q.shape) || describe(dOut.shape) !== describe(q.shape)) {
    throw new Error(
      `attention backward: out ${describe(out.shape)} and dOut ${describe(dOut.shape)} must match q ${describe(q.shape)}`,
    );
  }
  if (describe(lse.shape) !== describe([g.batch, g.heads, g.seqQ]))
    throw new Error(`attention backward: lse ${describe(lse.shape)} should be [${g.batch}, ${g.heads}, ${g.seqQ}]`);
  const rt = q.runtime;
  // Rows rounded up to whole query quads: the 'stream' kernels store P and dS as 4×4 blocks.
  const scratch: Shape = [g.batch * g.heads, 4 * Math.ceil(g.seqQ / 4), Math.ceil(g.seqK / 4), 4];
  const [probs, dscores] = [new Tensor(rt, scratch), new Tensor(rt, scratch)];
  if (into) {
    for (const [name, t, of] of [
      ['dq', into.dq, q],
      ['dk', into.dk, k],
      ['dv', into.dv, v],
    ] as const)
      if (describe(t.shape) !== describe(of.shape))
        throw new Error(`attention backward: ${name} ${describe(t.shape)} given for an operand ${describe(of.shape)}`);
  }
  const dq = into?.dq ?? new Tensor(rt, q.shape);
  const dk = into?.dk ?? new Tensor(rt, k.shape);
  const dv = into?.dv ?? new Tensor(rt, v.shape);
  launch(rt, 'backward_dq', g, opts, { q, k, v, out, d_out: dOut, lse, dq, probs, dscores });
  launch(rt, 'backward_dkdv', g, opts, { q, d_out: dOut, probs, dscores, dk, dv });
  probs.dispose();
  dscores.dispose();
  return { dq, dk, dv };
}

interface RowVisit {
  /** Offsets of query row i and of key row j in q/out and k/v. */
  qAt: number;
  kvAt: (j: number) => number;
  /** Softmax probabilities of the row over all keys (0 where not attended); empty when none is. */
  p: Float64Array;
  lse: number;
}

/** Calls fn for every query row with its float64 probabilities, computed from q and k alone. */
function forEachRow(
  q: HostTensor,
  k: HostTensor,
  opts: AttentionOptions<HostTensor>,
  fn: (row: RowVisit) => void,
): void {
  const g = attentionGeometry(q.shape, k.shape, k.shape, opts);
  const scale = opts.scale ?? 1 / Math.sqrt(g.headDim);
  const mask = opts.keyPadding?.data;
  for (let b = 0; b < g.batch; b++)
    for (let h = 0; h < g.heads; h++)
      for (let i = 0; i < g.seqQ; i++) {
        const qAt = b * g.q.batch + h * g.q.head + i * g.q.row;
        const kvAt = (j: number) => b * g.kv.batch + h * g.kv.head + j * g.kv.row;
        const scores = new Float64Array(g.seqK).fill(-Infinity);
        for (let j = 0; j < g.seqK; j++) {
          if ((opts.causal && j > i) || (mask && mask[b * g.seqK + j] === 0)) continue;
          let dot = 0;
          for (let d = 0; d < g.headDim; d++) dot += q.data[qAt + d]! * k.data[kvAt(j) + d]!;
          scores[j] = scale * dot;
        }
        const max = Math.max(...scores);
        const p = new Float64Array(g.seqK);
        let lse = LOG_ZERO;
        if (max > -Infinity) {
          let sum = 0;
          for (let j = 0; j < g.seqK; j++) sum += p[j] = Math.exp(scores[j]! - max);
          for (let j = 0; j < g.seqK; j++) p[j]! /= sum;
          lse = max + Math.log(sum);
        }
        fn({ qAt, kvAt, p, lse });
      }
}

/** Float64 reference forward: out in q's layout, lse [batch, heads, seqQ]. */
export function attentionRef(
  q: HostTensor,
  k: HostTensor,
  v: HostTensor,
  opts: AttentionOptions<HostTensor> = {},
): { out: HostTensor; lse: HostTensor } {
  const g = attentionGeometry(q.shape, k.shape, v.shape, opts);
  const out = new Float64Array(q.data.length);
  const lse: number[] = [];
  forEachRow(q, k, opts, ({ qAt, kvAt, p, lse: rowLse }) => {
    lse.push(rowLse);
    p.forEach((pj, j) => {
      for (let d = 0; d < g.headDim; d++) out[qAt + d]! += pj * v.data[kvAt(j) + d]!;
    });
  });
  return {
    out: { shape: [...q.shape], data: out },
    lse: { shape: [g.batch, g.heads, g.seqQ], data: Float64Array.from(lse) },
  };
}

/** Float64 reference gradients of sum(dOut ∘ attention(q, k, v)). */
export function attentionBackwardRef(
  q: HostTensor,
  k: HostTensor,
  v: HostTensor,
  dOut: HostTensor,
  opts: AttentionOptions<HostTensor> = {},
): { dq: HostTensor; dk: HostTensor; dv: HostTensor } {
  const g0 = attentionGeometry(q.shape, k.shape, v.shape, opts);
  const scale = opts.scale ?? 1 / Math.sqrt(g0.headDim);
  const dq = new Float64Array(q.data.length);
  const dk = new Float64Array(k.data.length);
  const dv = new Float64Array(v.data.length);
  const D = g0.headDim;
  forEachRow(q, k, opts, ({ qAt, kvAt, p }) => {
    // dP_j = dO·v_j; dS_j = p_j (dP_j − Σ_l p_l dP_l)
    const dp = Array.from(p, (_, j) => {
      let s = 0;
      for (let d = 0; d < D; d++) s += dOut.data[qAt + d]! * v.data[kvAt(j) + d]!;
      return s;
    });
    const mean = p.reduce((acc, pj, j) => acc + pj * dp[j]!, 0);
    p.forEach((pj, j) => {
      const ds = scale * pj * (dp[j]! - mean);
      for (let d = 0; d < D; d++) {
        dq[qAt + d]! += ds * k.data[kvAt(j) + d]!;
        dk[kvAt(j) + d]! += ds * q.data[qAt + d]!;
        dv[kvAt(j) + d]! += pj * dOut.data[qAt + d]!;
      }
    });
  });
  return {
    dq: { shape: [...q.shape], data: dq },
    dk: { shape: [...k.shape], data: dk },
    dv: { shape: [...v.shape], data: dv },
  };
}
