// Layer norm over the last axis of x viewed as [rows, n]: y = (x − mean)·rstd·gamma + beta, with
// rstd = 1/sqrt(var + eps) (biased variance, two passes for accuracy). Saves mean and rstd per row for
// the backward kernel. Rows map to invocations as lib/row_layout.wgsl says.
struct Params { rows: u32, n: u32, eps: f32 }
#include "lib/prologue"
@group(0) @binding(0) var<storage, read> x_in: array<f32>;
@group(0) @binding(1) var<storage, read> gamma: array<f32>;
@group(0) @binding(2) var<storage, read> beta: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read_write> mean: array<f32>;
@group(0) @binding(5) var<storage, read_write> rstd: array<f32>;
@group(0) @binding(6) var<uniform> params: Params;
#include "lib/row_layout"
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let slot = row_slot(wid, groups, lid, params.rows);
  let base = slot.row * params.n;
  var s = 0.0;
  if (slot.valid) { for (var j = slot.lane; j < params.n; j += ROW_THREADS) { s += x_in[base + j]; } }
  let mu = row_sum(s, lid) / f32(params.n);
  var q = 0.0;
  if (slot.valid) { for (var j = slot.lane; j < params.n; j += ROW_THREADS) { let d = x_in[base + j] - mu; q += d * d; } }
  let r = inverseSqrt(row_sum(q, lid) / f32(params.n) + params.eps);
  if (slot.valid) {
    for (var j = slot.lane; j < params.n; j += ROW_THREADS) { y[base + j] = (x_in[base + j] - mu) * r * gamma[j] + beta[j]; }
    if (slot.lane == 0u) { mean[slot.row] = mu; rstd[slot.row] = r; }
  }
}
