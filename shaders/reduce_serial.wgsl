// Reduction along one axis of a tensor viewed as [outer, n, inner], one invocation per output element looping
// over the axis: for short axes, or many outputs side by side (a bias gradient [rows, features] summed over
// rows: neighbouring invocations read neighbouring features). A workgroup per output (reduce.wgsl) would spend
// its time in barriers there, worst on SwiftShader with thousands of workgroups of a few values each.
// The result is multiplied by params.scale (1/n for a mean).
struct Params { outer: u32, n: u32, inner: u32, scale: f32 }
#include "lib/prologue"
@group(0) @binding(0) var<storage, read> x_in: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

fn combine(a: f32, b: f32) -> f32 { return {{COMBINE}}; }

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let o = linear_index(gid, groups);
  if (o >= params.outer * params.inner) { return; }
  let base = (o / params.inner) * params.n * params.inner + o % params.inner;
  var acc = {{IDENTITY}};
  for (var j = 0u; j < params.n; j++) { acc = combine(acc, x_in[base + j * params.inner]); }
  out[o] = acc * params.scale;
}
