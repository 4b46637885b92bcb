// out[i] = op(x[i]) for one elementwise function; the TS side fills {{EXPR}} (in terms of x and alpha).
struct Params { count: u32, alpha: f32 }
#include "lib/prologue"
@group(0) @binding(0) var<storage, read> x_in: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

fn op(x: f32, alpha: f32) -> f32 { return {{EXPR}}; }

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= params.count) { return; }
  out[i] = op(x_in[i], params.alpha);
}
