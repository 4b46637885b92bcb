// The previous embedding backward, kept as the baseline of bench/embedding.ts (the engine uses the
// embedding_count → _offsets → _bucket → _order(_long) → _backward kernels): one invocation per
// (vocabulary row v, column c) sums dy[p, c] over the positions p whose id is v, in position order. It scans
// all N positions for every table entry, O(V·dim·N) work.
struct Params { count: u32, dim: u32, positions: u32 }
#include "lib/prologue"
@group(0) @binding(0) var<storage, read> ids: array<i32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dtable: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= params.count) { return; }
  let v = i32(i / params.dim);
  let c = i % params.dim;
  var acc = 0.0;
  for (var p = 0u; p < params.positions; p++) {
    if (ids[p] == v) { acc += dy[p * params.dim + c]; }
  }
  dtable[i] = acc;
}
