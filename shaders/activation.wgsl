// out[i] = activation(x[i]) for activations that need helper functions (lib/gelu.wgsl, e.g. erf); the EXPR
// template value is the activation in terms of x.
struct Params { count: u32 }
#include "lib/prologue"
@group(0) @binding(0) var<storage, read> x_in: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;
#include "lib/gelu"
fn activation(x: f32) -> f32 { return {{EXPR}}; }

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= params.count) { return; }
  out[i] = activation(x_in[i]);
}
