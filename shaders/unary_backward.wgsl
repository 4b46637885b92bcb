// dx[i] = dy[i] · deriv(x[i]) for one elementwise function; the TS side fills the DERIV template value (in
// terms of the input x, the forward output y and alpha; the GELU derivatives call the helpers of lib/gelu.wgsl).
struct Params { count: u32, alpha: f32 }
#include "lib/prologue"
@group(0) @binding(0) var<storage, read> x_in: array<f32>;
@group(0) @binding(1) var<storage, read> y_in: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;
#include "lib/gelu"
fn deriv(x: f32, y: f32, alpha: f32) -> f32 { return {{DERIV}}; }

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= params.count) { return; }
  dx[i] = dy[i] * deriv(x_in[i], y_in[i], params.alpha);
}
