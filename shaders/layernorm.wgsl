// Layer norm over the last axis of a [rows, n] view: y = (v − mean)·rstd·gamma + beta with rstd = 1/sqrt(var + eps)
// (biased variance, two passes for accuracy); saves mean and rstd per row for layernorm_backward.wgsl. v is x, or
// with RESIDUAL a transformer block's residual sum s = x + dropout(r) (lib/dropout_mask.wgsl when DROPOUT, else
// x + r), written to s as it is formed (the residual stream goes on) and normed in the same pass: s is what
// dropout.wgsl then binary.wgsl's add store, so the fused result equals the three dispatches' bit for bit. Without
// RESIDUAL, r_in and s are never touched (the launcher binds x and a placeholder). Rows map to invocations as
// lib/row_layout.wgsl says; each lane reads back only the s values it wrote.
struct Params { rows: u32, n: u32, eps: f32, seed: u32, threshold: u32, scale: f32 }
#include "lib/prologue"
override RESIDUAL: bool = false;
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

// v at i in the first pass: with RESIDUAL the sum is formed and stored here.
fn form(i: u32) -> f32 {
  if (RESIDUAL) {
    let v = x_in[i] + branch(i);
    s[i] = v;
    return v;
  }
  return x_in[i];
}

// v at i in the later passes.
fn formed(i: u32) -> f32 {
  if (RESIDUAL) { return s[i]; }
  return x_in[i];
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let slot = row_slot(wid, groups, lid, params.rows);
  let base = slot.row * params.n;
  var sum = 0.0;
  if (slot.valid) { for (var j = slot.lane; j < params.n; j += ROW_THREADS) { sum += form(base + j); } }
  let mu = row_sum(sum, lid) / f32(params.n);
  var q = 0.0;
  if (slot.valid) { for (var j = slot.lane; j < params.n; j += ROW_THREADS) { let d = formed(base + j) - mu; q += d * d; } }
  let r = inverseSqrt(row_sum(q, lid) / f32(params.n) + params.eps);
  if (slot.valid) {
    for (var j = slot.lane; j < params.n; j += ROW_THREADS) { y[base + j] = (formed(base + j) - mu) * r * gamma[j] + beta[j]; }
    if (slot.lane == 0u) { mean[slot.row] = mu; rstd[slot.row] = r; }
  }
}
