// Embedding backward, step 5 of 5: dtable[v, c] = Σ dy[p, c] over the positions p of id v, in ascending p
// (the order list of step 4), starting from 0: the same bits on every run, and the same as a sequential
// float32 sum. One invocation per (position, column); only the first position of each id does the row, so
// the work is N·dim whatever the vocabulary. Rows no position hits keep the zeros cleared beforehand.
struct Params { count: u32, dim: u32, vocab: u32 }
#include "lib/prologue"
@group(0) @binding(0) var<storage, read> ids: array<i32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> counts: array<u32>;
@group(0) @binding(3) var<storage, read> offsets: array<u32>;
@group(0) @binding(4) var<storage, read> order: array<u32>;
@group(0) @binding(5) var<storage, read_write> dtable: array<f32>;
@group(0) @binding(6) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= params.count) { return; }
  let p = i / params.dim;
  let c = i % params.dim;
  let id = ids[p];
  if (id < 0 || u32(id) >= params.vocab) { return; }
  let start = offsets[u32(id)];
  if (order[start] != p) { return; }
  let end = start + counts[u32(id)];
  var acc = 0.0;
  for (var k = start; k < end; k++) { acc += dy[order[k] * params.dim + c]; }
  dtable[u32(id) * params.dim + c] = acc;
}
