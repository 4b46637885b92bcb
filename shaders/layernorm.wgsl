// Layer norm over the last axis of x viewed as [rows, n]: y = (x − mean)·rstd·gamma + beta, with
// rstd = 1/sqrt(var + eps) (biased variance, two passes for accuracy). Saves mean and rstd per row for
// the backward kernel. One workgroup per row.
struct Params { rows: u32, n: u32, eps: f32 }
override WG: u32 = 64u;
@group(0) @binding(0) var<storage, read> x_in: array<f32>;
@group(0) @binding(1) var<storage, read> gamma: array<f32>;
@group(0) @binding(2) var<storage, read> beta: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read_write> mean: array<f32>;
@group(0) @binding(5) var<storage, read_write> rstd: array<f32>;
@group(0) @binding(6) var<uniform> params: Params;
{{WORKGROUP_REDUCE}}
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * groups.x;
  let valid = row < params.rows;
  let base = row * params.n;
  var s = 0.0;
  if (valid) { for (var j = lid; j < params.n; j += WG) { s += x_in[base + j]; } }
  let mu = wg_sum(s, lid) / f32(params.n);
  var q = 0.0;
  if (valid) { for (var j = lid; j < params.n; j += WG) { let d = x_in[base + j] - mu; q += d * d; } }
  let r = inverseSqrt(wg_sum(q, lid) / f32(params.n) + params.eps);
  if (valid) {
    for (var j = lid; j < params.n; j += WG) { y[base + j] = (x_in[base + j] - mu) * r * gamma[j] + beta[j]; }
    if (lid == 0u) { mean[row] = mu; rstd[row] = r; }
  }
}
