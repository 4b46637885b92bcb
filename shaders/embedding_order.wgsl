// Embedding backward, step 4 of 5, short buckets: puts each bucket of at most params.long positions in
// ascending position order. A position's rank inside its bucket is the number of bucket entries smaller
// than it, so order[offsets[v] + rank] = p is the same list on every run however step 1's atomics
// interleaved. Work is the squared bucket size; longer buckets are ordered by embedding_order_long.wgsl.
struct Params { positions: u32, vocab: u32, long: u32 }
#include "lib/prologue"
@group(0) @binding(0) var<storage, read> ids: array<i32>;
@group(0) @binding(1) var<storage, read> counts: array<u32>;
@group(0) @binding(2) var<storage, read> offsets: array<u32>;
@group(0) @binding(3) var<storage, read> bucket: array<u32>;
@group(0) @binding(4) var<storage, read_write> order: array<u32>;
@group(0) @binding(5) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let p = linear_index(gid, groups);
  if (p >= params.positions) { return; }
  let id = ids[p];
  if (id < 0 || u32(id) >= params.vocab) { return; }
  let count = counts[u32(id)];
  if (count > params.long) { return; }
  let start = offsets[u32(id)];
  let end = start + count;
  var rank = 0u;
  for (var k = start; k < end; k++) {
    if (bucket[k] < p) { rank++; }
  }
  order[start + rank] = p;
}
