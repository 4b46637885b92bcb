// Workgroup-wide sum / max of one f32 per invocation; every invocation gets the result. WG must be a power of two.
#include "lib/prologue"
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
