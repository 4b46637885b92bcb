// Per-row cross-entropy of logits x [rows, n] against integer class targets: loss = logsumexp(x) − x[t].
// Also writes the row's logsumexp, which the backward kernel needs. One workgroup per row.
struct Params { rows: u32, n: u32 }
override WG: u32 = 64u;
@group(0) @binding(0) var<storage, read> x_in: array<f32>;
@group(0) @binding(1) var<storage, read> targets: array<i32>;
@group(0) @binding(2) var<storage, read_write> losses: array<f32>;
@group(0) @binding(3) var<storage, read_write> lse: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;
{{WORKGROUP_REDUCE}}
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * groups.x;
  let valid = row < params.rows;
  let base = row * params.n;
  var m = -3.4028234663852886e38;
  if (valid) { for (var j = lid; j < params.n; j += WG) { m = max(m, x_in[base + j]); } }
  m = wg_max(m, lid);
  var s = 0.0;
  if (valid) { for (var j = lid; j < params.n; j += WG) { s += exp(x_in[base + j] - m); } }
  s = wg_sum(s, lid);
  if (valid && lid == 0u) {
    let row_lse = m + log(s);
    lse[row] = row_lse;
    losses[row] = row_lse - x_in[base + u32(targets[row])];
  }
}
