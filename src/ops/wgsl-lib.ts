// WGSL shared by the row-wise kernels (softmax, log-softmax, cross-entropy, layer norm, L2 normalisation),
// spliced in through the `{{WORKGROUP_REDUCE}}` and `{{ROWS}}` template placeholders so the reduction and the
// mapping of rows to invocations exist once.
import { grid1d, type Runtime } from '../gpu/runtime.js';
import type { Tensor } from '../tensor/tensor.js';

/** Workgroup-wide sum / max; every invocation gets the result. Needs `override WG` (a power of two). */
export const WORKGROUP_REDUCE = /* wgsl */ `
var<workgroup> wg_scratch: array<f32, WG>;
var<workgroup> wg_total: f32;
// Call from uniform control flow only (it holds barriers).
fn wg_reduce(v: f32, lid: u32, take_max: bool) -> f32 {
  wg_scratch[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) {
      let o = wg_scratch[lid + s];
      wg_scratch[lid] = select(wg_scratch[lid] + o, max(wg_scratch[lid], o), take_max);
    }
    workgroupBarrier();
  }
  // The total goes through its own variable: llvmpipe (GLES) lets an invocation read wg_scratch[0] after the
  // barrier below, when the next reduction may already have overwritten it.
  if (lid == 0u) { wg_total = wg_scratch[0]; }
  workgroupBarrier();
  let r = wg_total;
  workgroupBarrier();
  return r;
}
fn wg_sum(v: f32, lid: u32) -> f32 { return wg_reduce(v, lid, false); }
fn wg_max(v: f32, lid: u32) -> f32 { return wg_reduce(v, lid, true); }
`;

/** The tensor seen as [rows, n] over its last axis. */
export function rowsOf(x: Tensor, op: string): { rows: number; n: number } {
  if (x.rank < 1) throw new Error(`${op}: needs a tensor of rank ≥ 1, got a scalar`);
  if (x.dtype !== 'f32') throw new Error(`${op}: expects f32, got ${x.dtype}`);
  const n = x.shape.at(-1)!;
  return { rows: n === 0 ? 0 : x.size / n, n };
}

/** Threads per row: a power of two covering n, between 32 and what the device allows (≤ 256). */
export function rowWorkgroup(rt: Runtime, n: number): number {
  const cap = 2 ** Math.floor(Math.log2(Math.min(256, rt.maxInvocations)));
  return Math.min(cap, Math.max(32, 2 ** Math.ceil(Math.log2(Math.max(n, 1)))));
}

/**
 * How a row kernel maps rows of n values to invocations (needs WORKGROUP_REDUCE spliced before it). ROW_THREADS
 * is 1 (an invocation per row, WG rows per workgroup, no barriers) or WG (a workgroup per row, folding through
 * workgroup memory). A kernel takes its slot from row_slot(), strides its row loops by ROW_THREADS from
 * slot.lane, folds with row_sum/row_max from uniform control flow, and writes per-row values where slot.lane
 * is 0.
 */
export const ROWS = /* wgsl */ `
override ROW_THREADS: u32 = WG;
struct RowSlot { row: u32, lane: u32, valid: bool }
fn row_slot(wid: vec3<u32>, groups: vec3<u32>, lid: u32, rows: u32) -> RowSlot {
  let row = (wid.x + wid.y * groups.x) * (WG / ROW_THREADS) + lid / ROW_THREADS;
  return RowSlot(row, lid % ROW_THREADS, row < rows);
}
fn row_sum(v: f32, lid: u32) -> f32 {
  if (ROW_THREADS == 1u) { return v; }
  return wg_sum(v, lid);
}
fn row_max(v: f32, lid: u32) -> f32 {
  if (ROW_THREADS == 1u) { return v; }
  return wg_max(v, lid);
}
`;

/**
 * Rows up to this long get an invocation each: a workgroup per short row spends its time in the barriers of
 * its fold (on SwiftShader a layer norm over [192, 64] took 30 ms that way).
 */
export const SERIAL_ROW_MAX = 256;

export interface RowLayout {
  /** Override constants of a kernel that splices WORKGROUP_REDUCE and ROWS. */
  constants: { WG: number; ROW_THREADS: number };
  /** Workgroups that cover the rows. */
  grid: [number, number];
}

export function rowLayout(rt: Runtime, rows: number, n: number): RowLayout {
  if (n <= SERIAL_ROW_MAX) {
    const wg = Math.min(64, rt.maxInvocations);
    return { constants: { WG: wg, ROW_THREADS: 1 }, grid: grid1d(rows, wg) };
  }
  const wg = rowWorkgroup(rt, n);
  return { constants: { WG: wg, ROW_THREADS: wg }, grid: grid1d(rows, 1) };
}
