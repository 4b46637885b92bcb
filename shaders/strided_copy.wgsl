// out[i] = x[offset(i)] where offset sums out-coordinates times arbitrary input strides: permutes
// (strides reordered) and broadcasts (stride 0) are both this one kernel. Ranks up to 8, as two vec4s.
struct Params { count: u32, rank: u32, out_shape: array<vec4<u32>, 2>, in_strides: array<vec4<u32>, 2> }
#include "lib/prologue"
@group(0) @binding(0) var<storage, read> x_in: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= params.count) { return; }
  var rest = i;
  var offset = 0u;
  for (var d = params.rank; d > 0u; d--) {
    let k = d - 1u;
    let extent = params.out_shape[k / 4u][k % 4u];
    offset += (rest % extent) * params.in_strides[k / 4u][k % 4u];
    rest = rest / extent;
  }
  out[i] = x_in[offset];
}
