// Gather along an axis: x viewed as [outer, n, inner], indices [m] → out [outer, m, inner].
// An index outside [0, n) yields 0 (the CPU reference does the same).
struct Params { count: u32, n: u32, m: u32, inner: u32 }
#include "lib/prologue"
@group(0) @binding(0) var<storage, read> x_in: array<f32>;
@group(0) @binding(1) var<storage, read> indices: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= params.count) { return; }
  let k = i % params.inner;
  let j = (i / params.inner) % params.m;
  let o = i / (params.inner * params.m);
  let index = indices[j];
  var value = 0.0;
  if (index >= 0 && u32(index) < params.n) { value = x_in[(o * params.n + u32(index)) * params.inner + k]; }
  out[i] = value;
}
