// Embedding backward, step 1 of 5: counts[v] = number of positions whose id is v. Each position also keeps
// the pre-increment count as its slot inside v's bucket; slots come in an arbitrary order (the next steps
// put the bucket in position order), but integer counts are exact whatever the order. Ids outside
// [0, vocab) are skipped: the forward gives them zero rows, so they take no gradient.
struct Params { positions: u32, vocab: u32 }
#include "lib/prologue"
@group(0) @binding(0) var<storage, read> ids: array<i32>;
@group(0) @binding(1) var<storage, read_write> counts: array<atomic<u32>>;
@group(0) @binding(2) var<storage, read_write> slots: array<u32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let p = linear_index(gid, groups);
  if (p >= params.positions) { return; }
  let id = ids[p];
  if (id < 0 || u32(id) >= params.vocab) { return; }
  slots[p] = atomicAdd(&counts[u32(id)], 1u);
}
