// How a row kernel maps rows of n values to invocations (src/ops/row-layout.ts rowLayout picks the constants).
// ROW_THREADS is 1 (an invocation per row, WG rows per workgroup, no barriers) or WG (a workgroup per row, folding
// through workgroup memory). A kernel takes its slot from row_slot(), strides its row loops by ROW_THREADS from
// slot.lane, folds with row_sum/row_max from uniform control flow, and writes per-row values where slot.lane is 0.
#include "lib/workgroup_reduce"
override ROW_THREADS: u32 = WG;
struct RowSlot { row: u32, lane: u32, valid: bool }
fn row_slot(wid: vec3<u32>, groups: vec3<u32>, lid: u32, rows: u32) -> RowSlot {
  let row = linear_workgroup(wid, groups) * (WG / ROW_THREADS) + lid / ROW_THREADS;
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
