// Second pass of the global gradient norm: one workgroup folds the partial sums of squares that
// sumsq_partials.wgsl wrote (at most WG of them, in a fixed order: deterministic) into grad_norm[0] = ‖g‖.
struct Params { num_partials: u32 }
#include "lib/prologue"
@group(0) @binding(0) var<storage, read> partials: array<f32>;
@group(0) @binding(1) var<storage, read_write> grad_norm: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;
#include "lib/workgroup_reduce"
@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  let total = wg_sum(select(0.0, partials[min(lid, params.num_partials - 1u)], lid < params.num_partials), lid);
  if (lid == 0u) { grad_norm[0] = sqrt(total); }
}
