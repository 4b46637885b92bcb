// First pass of the global gradient norm: workgroup w sums g² over the elements w·WG + lid + k·P·WG
// (P = number of workgroups) into partials[w]. The AdamW kernel folds the P partials (a fixed order:
// deterministic).
struct Params { count: u32 }
#include "lib/prologue"
@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read_write> partials: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;
#include "lib/workgroup_reduce"
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var i = wid.x * WG + lid; i < params.count; i += groups.x * WG) { acc += g[i] * g[i]; }
  let total = wg_sum(acc, lid);
  if (lid == 0u) { partials[wid.x] = total; }
}
