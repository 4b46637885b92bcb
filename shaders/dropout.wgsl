// Inverted dropout with a counter-based mask: element i is kept when hash(seed, i) ≥ threshold
// (threshold = p·2³²), and kept values are scaled by 1/(1−p). The mask is a pure function of (seed, i), so
// the backward pass regenerates it exactly (dx = dropout(dy) with the same seed) and every adapter and run
// draws the same one: integer arithmetic only.
struct Params { count: u32, seed: u32, threshold: u32, scale: f32 }
#include "lib/prologue"
@group(0) @binding(0) var<storage, read> x_in: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

// murmur3's 32-bit finaliser: a bijective avalanche mix.
fn fmix32(h0: u32) -> u32 {
  var h = h0;
  h ^= h >> 16u;
  h *= 0x85ebca6bu;
  h ^= h >> 13u;
  h *= 0xc2b2ae35u;
  h ^= h >> 16u;
  return h;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= params.count) { return; }
  let h = fmix32(fmix32(i + 0x9e3779b9u) ^ params.seed);
  out[i] = select(0.0, x_in[i] * params.scale, h >= params.threshold);
}
