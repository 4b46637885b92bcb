// Gradient of a row softmax from its output y: dx = y·(dy − Σ dy·y); of a log-softmax (LOG = true):
// dx = dy − exp(y)·Σ dy. One workgroup per row of [rows, n].
struct Params { rows: u32, n: u32 }
#include "lib/prologue"
override LOG: bool = false;
@group(0) @binding(0) var<storage, read> y: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;
#include "lib/row_layout"
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let slot = row_slot(wid, groups, lid, params.rows);
  let base = slot.row * params.n;
  var acc = 0.0;
  if (slot.valid) {
    for (var j = slot.lane; j < params.n; j += ROW_THREADS) { acc += select(dy[base + j] * y[base + j], dy[base + j], LOG); }
  }
  acc = row_sum(acc, lid);
  if (slot.valid) {
    for (var j = slot.lane; j < params.n; j += ROW_THREADS) {
      let g = dy[base + j];
      let v = y[base + j];
      dx[base + j] = select(v * (g - acc), g - exp(v) * acc, LOG);
    }
  }
}
