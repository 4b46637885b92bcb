// Layer norm backward in one dispatch. Workgroups [0, row_groups) take rows (as lib/row_layout.wgsl
// maps them) and write
// dx = rstd·(dxh − mean(dxh) − xh·mean(dxh·xh)), with xh the normalised input and dxh = dy·gamma.
// The remaining workgroups take WG columns each and sum over rows: dgamma = Σ dy·xh, dbeta = Σ dy
// (a fixed order per column: deterministic, no atomics).
// ADDEND adds addend[i] to each dx[i] as it is stored (x's gradient from its other uses, summed in place of a
// separate add); without it `addend` is bound to any buffer of dx's size and never read. BRANCH_GRAD also
// writes d_branch, the gradient of the branch r of x = x0 + dropout(r) (layernorm.wgsl with RESIDUAL): dx through
// the dropout mask (when DROPOUT), else dx again; without it `d_branch` is bound to any buffer and never written.
struct Params { rows: u32, n: u32, row_groups: u32, seed: u32, threshold: u32, scale: f32 }
#include "lib/prologue"
override ADDEND: bool = false;
override BRANCH_GRAD: bool = false;
override DROPOUT: bool = false;
@group(0) @binding(0) var<storage, read> x_in: array<f32>;
@group(0) @binding(1) var<storage, read> gamma: array<f32>;
@group(0) @binding(2) var<storage, read> mean: array<f32>;
@group(0) @binding(3) var<storage, read> rstd: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;
@group(0) @binding(6) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(7) var<storage, read_write> dbeta: array<f32>;
@group(0) @binding(8) var<uniform> params: Params;
@group(0) @binding(9) var<storage, read> addend: array<f32>;
@group(0) @binding(10) var<storage, read_write> d_branch: array<f32>;
#include "lib/row_layout"
#include "lib/dropout_mask"
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let group = linear_workgroup(wid, groups);
  if (group < params.row_groups) {
    let slot = row_slot(wid, groups, lid, params.rows);
    let base = slot.row * params.n;
    let mu = mean[min(slot.row, params.rows - 1u)];
    let r = rstd[min(slot.row, params.rows - 1u)];
    var s1 = 0.0;
    var s2 = 0.0;
    if (slot.valid) {
      for (var j = slot.lane; j < params.n; j += ROW_THREADS) {
        let dxh = dy[base + j] * gamma[j];
        s1 += dxh;
        s2 += dxh * (x_in[base + j] - mu) * r;
      }
    }
    let mean_dxh = row_sum(s1, lid) / f32(params.n);
    let mean_dxh_xh = row_sum(s2, lid) / f32(params.n);
    if (slot.valid) {
      for (var j = slot.lane; j < params.n; j += ROW_THREADS) {
        let xh = (x_in[base + j] - mu) * r;
        var v = r * (dy[base + j] * gamma[j] - mean_dxh - xh * mean_dxh_xh);
        if (ADDEND) { v += addend[base + j]; }
        dx[base + j] = v;
        if (BRANCH_GRAD) {
          var d = v;
          if (DROPOUT) { d = select(0.0, v * params.scale, dropout_keeps(base + j, params.seed, params.threshold)); }
          d_branch[base + j] = d;
        }
      }
    }
  } else {
    let col = (group - params.row_groups) * WG + lid;
    if (col < params.n) {
      var dg = 0.0;
      var db = 0.0;
      for (var row = 0u; row < params.rows; row++) {
        let i = row * params.n + col;
        dg += dy[i] * (x_in[i] - mean[row]) * rstd[row];
        db += dy[i];
      }
      dgamma[col] = dg;
      dbeta[col] = db;
    }
  }
}
