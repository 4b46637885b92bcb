// Per-row cross-entropy of logits x [rows, n] against integer class targets: loss = logsumexp(x) − x[t].
// Also writes the row's logsumexp, which the backward kernel needs. One workgroup per row.
struct Params { rows: u32, n: u32 }
#include "lib/prologue"
@group(0) @binding(0) var<storage, read> x_in: array<f32>;
@group(0) @binding(1) var<storage, read> targets: array<i32>;
@group(0) @binding(2) var<storage, read_write> losses: array<f32>;
@group(0) @binding(3) var<storage, read_write> lse: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;
#include "lib/row_layout"
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let slot = row_slot(wid, groups, lid, params.rows);
  let base = slot.row * params.n;
  var m = -3.4028234663852886e38;
  if (slot.valid) { for (var j = slot.lane; j < params.n; j += ROW_THREADS) { m = max(m, x_in[base + j]); } }
  m = row_max(m, lid);
  var s = 0.0;
  if (slot.valid) { for (var j = slot.lane; j < params.n; j += ROW_THREADS) { s += exp(x_in[base + j] - m); } }
  s = row_sum(s, lid);
  if (slot.valid && slot.lane == 0u) {
    let row_lse = m + log(s);
    lse[slot.row] = row_lse;
    losses[slot.row] = row_lse - x_in[base + u32(targets[slot.row])];
  }
}
