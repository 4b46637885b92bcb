// Softmax (LOG = false) or log-softmax (LOG = true) of each row of x viewed as [rows, n]: one workgroup per
// row; subtracting the row maximum first keeps exp from overflowing.
struct Params { rows: u32, n: u32 }
#include "lib/prologue"
override LOG: bool = false;
@group(0) @binding(0) var<storage, read> x_in: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;
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
  if (slot.valid) {
    for (var j = slot.lane; j < params.n; j += ROW_THREADS) {
      let z = x_in[base + j] - m;
      out[base + j] = select(exp(z) / s, z - log(s), LOG);
    }
  }
}
