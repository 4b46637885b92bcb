// Embedding backward, step 3 of 5: each position writes itself into its id's bucket at the slot step 1 gave
// it, so bucket[offsets[v] .. offsets[v] + counts[v]) holds the positions of id v, in no particular order.
struct Params { positions: u32, vocab: u32 }
#include "lib/prologue"
@group(0) @binding(0) var<storage, read> ids: array<i32>;
@group(0) @binding(1) var<storage, read> offsets: array<u32>;
@group(0) @binding(2) var<storage, read> slots: array<u32>;
@group(0) @binding(3) var<storage, read_write> bucket: array<u32>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let p = linear_index(gid, groups);
  if (p >= params.positions) { return; }
  let id = ids[p];
  if (id < 0 || u32(id) >= params.vocab) { return; }
  bucket[offsets[u32(id)] + slots[p]] = p;
}
