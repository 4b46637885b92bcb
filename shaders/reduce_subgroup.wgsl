// reduce.wgsl on a device with subgroups: each subgroup folds its invocations' partial values in registers
// (SUBGROUP_FOLD, a template value: the op's subgroup builtin), its first invocation files the result (subgroups of
// a 1-D workgroup are runs of consecutive invocation indices), and invocation 0 folds those few values.
enable subgroups;
#include "lib/reduce_axis"

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32, @builtin(subgroup_invocation_id) sg_lane: u32,
        @builtin(subgroup_size) sg_size: u32) {
  let o = linear_workgroup(wid, groups);
  let valid = o < params.outer * params.inner;
  let acc = strided_fold(o, valid, lid);
  let folded = {{SUBGROUP_FOLD}}(acc);
  if (sg_lane == 0u) { partial[lid / sg_size] = folded; }
  workgroupBarrier();
  if (lid == 0u) {
    var total = partial[0];
    for (var g = 1u; g < WG / sg_size; g++) { total = combine(total, partial[g]); }
    partial[0] = total;
  }
  if (valid && lid == 0u) { out[o] = partial[0] * params.scale; }
}
