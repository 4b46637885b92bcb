// A residual sum and the layer norm after it in one pass: s = x + dropout(r) (lib/dropout_mask.wgsl, when
// DROPOUT; else s = x + r), y = (s − mean)·rstd·gamma + beta over the last axis of s viewed as [rows, n],
// rstd = 1/sqrt(var + eps). Writes s (the residual stream goes on), y, and mean and rstd per row for the
// backward (layernorm_backward.wgsl over s). The arithmetic is layernorm.wgsl's on s, and s is what
// dropout.wgsl then binary.wgsl's add store, so the fused result equals the three dispatches' bit for bit.
// Rows map to invocations as lib/row_layout.wgsl says; each lane reads back only the s values it wrote.
struct Params { rows: u32, n: u32, eps: f32, seed: u32, threshold: u32, scale: f32 }
#include "lib/prologue"
override DROPOUT: bool = false;
@group(0) @binding(0) var<storage, read> x_in: array<f32>;
@group(0) @binding(1) var<storage, read> r_in: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> beta: array<f32>;
@group(0) @binding(4) var<storage, read_write> s: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
@group(0) @binding(6) var<storage, read_write> mean: array<f32>;
@group(0) @binding(7) var<storage, read_write> rstd: array<f32>;
@group(0) @binding(8) var<uniform> params: Params;
#include "lib/row_layout"
#include "lib/dropout_mask"

fn branch(i: u32) -> f32 {
  if (DROPOUT) { return select(0.0, r_in[i] * params.scale, dropout_keeps(i, params.seed, params.threshold)); }
  return r_in[i];
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let slot = row_slot(wid, groups, lid, params.rows);
  let base = slot.row * params.n;
  var sum = 0.0;
  if (slot.valid) {
    for (var j = slot.lane; j < params.n; j += ROW_THREADS) {
      let v = x_in[base + j] + branch(base + j);
      s[base + j] = v;
      sum += v;
    }
  }
  let mu = row_sum(sum, lid) / f32(params.n);
  var q = 0.0;
  if (slot.valid) { for (var j = slot.lane; j < params.n; j += ROW_THREADS) { let d = s[base + j] - mu; q += d * d; } }
  let r = inverseSqrt(row_sum(q, lid) / f32(params.n) + params.eps);
  if (slot.valid) {
    for (var j = slot.lane; j < params.n; j += ROW_THREADS) { y[base + j] = (s[base + j] - mu) * r * gamma[j] + beta[j]; }
    if (slot.lane == 0u) { mean[slot.row] = mu; rstd[slot.row] = r; }
  }
}
