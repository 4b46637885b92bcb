// The host side of the row-wise kernels (softmax, log-softmax, cross-entropy, layer norm, L2 normalisation): how
// rows map to invocations, for kernels that include shaders/lib/row_layout.wgsl (which says how the WGSL side reads
// ROW_THREADS), and the workgroup size of kernels that fold a row through shaders/lib/workgroup_reduce.wgsl.
import { grid1d, type Runtime } from '../gpu/runtime.js';
import type { Tensor } from '../tensor/tensor.js';

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
 * Rows up to this long get an invocation each: a workgroup per short row spends its time in the barriers of
 * its fold, worst on SwiftShader (the layer-norm rows of `medtrim bench all`, bench/results/suite-*.md).
 */
export const SERIAL_ROW_MAX = 256;

export interface RowLayout {
  /** Override constants of a kernel that includes lib/row_layout.wgsl. */
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
