// Gradient of y = x / max(‖x‖, eps) per row: dx = (dy − x·(x·dy)/‖x‖²)/‖x‖ where ‖x‖ > eps, else dy/eps.
struct Params { rows: u32, n: u32, eps: f32 }
#include "lib/prologue"
@group(0) @binding(0) var<storage, read> x_in: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;
#include "lib/row_layout"
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let slot = row_slot(wid, groups, lid, params.rows);
  let base = slot.row * params.n;
  var q = 0.0;
  var x_dot_dy = 0.0;
  if (slot.valid) {
    for (var j = slot.lane; j < params.n; j += ROW_THREADS) {
      q += x_in[base + j] * x_in[base + j];
      x_dot_dy += x_in[base + j] * dy[base + j];
    }
  }
  let norm = sqrt(row_sum(q, lid));
  let row_dot = row_sum(x_dot_dy, lid);
  let clamped = norm <= params.eps;
  let d = max(norm, params.eps);
  if (slot.valid) {
    for (var j = slot.lane; j < params.n; j += ROW_THREADS) {
      let radial = select(x_in[base + j] * row_dot / (d * d), 0.0, clamped);
      dx[base + j] = (dy[base + j] - radial) / d;
    }
  }
}
