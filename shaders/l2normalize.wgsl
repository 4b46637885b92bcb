// Row-wise L2 normalisation of x viewed as [rows, n]: y = x / max(‖x‖, eps). One workgroup per row.
struct Params { rows: u32, n: u32, eps: f32 }
#include "lib/prologue"
@group(0) @binding(0) var<storage, read> x_in: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;
#include "lib/row_layout"
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let slot = row_slot(wid, groups, lid, params.rows);
  let base = slot.row * params.n;
  var q = 0.0;
  if (slot.valid) { for (var j = slot.lane; j < params.n; j += ROW_THREADS) { q += x_in[base + j] * x_in[base + j]; } }
  let d = max(sqrt(row_sum(q, lid)), params.eps);
  if (slot.valid) { for (var j = slot.lane; j < params.n; j += ROW_THREADS) { y[base + j] = x_in[base + j] / d; } }
}
