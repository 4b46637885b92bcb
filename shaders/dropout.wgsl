// Inverted dropout with a counter-based mask (dropout_mask.wgsl): kept values are scaled by 1/(1−p). The
// backward pass regenerates the mask (dx = dropout(dy) with the same seed).
struct Params { count: u32, seed: u32, threshold: u32, scale: f32 }
#include "lib/prologue"
@group(0) @binding(0) var<storage, read> x_in: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

#include "lib/dropout_mask"

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= params.count) { return; }
  out[i] = select(0.0, x_in[i] * params.scale, dropout_keeps(i, params.seed, params.threshold));
}
