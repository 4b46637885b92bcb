// Reduction along one axis of a tensor viewed as [outer, n, inner]: one workgroup per output element,
// threads stride over the axis, then the workgroup folds its partial values in a tree in workgroup memory
// (reduce_subgroup.wgsl where the device has subgroups; src/ops/reduce.ts picks the variant).
// The result is multiplied by params.scale (1/n for a mean).
#include "lib/reduce_axis"

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let o = linear_workgroup(wid, groups);
  let valid = o < params.outer * params.inner;
  let acc = strided_fold(o, valid, lid);
  partial[lid] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { partial[lid] = combine(partial[lid], partial[lid + s]); }
    workgroupBarrier();
  }
  if (valid && lid == 0u) { out[o] = partial[0] * params.scale; }
}
