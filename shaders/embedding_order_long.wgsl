// Embedding backward, step 4 of 5, long buckets: one invocation per id with more than params.long positions
// lists them by scanning all ids in order. That is N steps for such an id instead of count² comparisons
// (one id on every position — BERT's token type 0 — would cost N²), and at most N / long ids qualify.
struct Params { positions: u32, vocab: u32, long: u32 }
#include "lib/prologue"
@group(0) @binding(0) var<storage, read> ids: array<i32>;
@group(0) @binding(1) var<storage, read> counts: array<u32>;
@group(0) @binding(2) var<storage, read> offsets: array<u32>;
@group(0) @binding(3) var<storage, read_write> order: array<u32>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let v = linear_index(gid, groups);
  if (v >= params.vocab || counts[v] <= params.long) { return; }
  var next = offsets[v];
  for (var p = 0u; p < params.positions; p++) {
    if (ids[p] == i32(v)) {
      order[next] = p;
      next++;
    }
  }
}
