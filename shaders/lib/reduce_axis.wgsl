// Shared by reduce.wgsl and reduce_subgroup.wgsl: a reduction along one axis of a tensor viewed as
// [outer, n, inner], one workgroup per output element, its invocations striding over the axis. COMBINE and
// IDENTITY are template values (the op); WG must be a power of two.
struct Params { outer: u32, n: u32, inner: u32, scale: f32 }
#include "lib/prologue"
@group(0) @binding(0) var<storage, read> x_in: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;
var<workgroup> partial: array<f32, WG>;

fn combine(a: f32, b: f32) -> f32 { return {{COMBINE}}; }

// Invocation lid's fold of output o's values lid, lid + WG, … along the axis (the identity where o is not valid).
fn strided_fold(o: u32, valid: bool, lid: u32) -> f32 {
  let base = (o / params.inner) * params.n * params.inner + o % params.inner;
  var acc = {{IDENTITY}};
  if (valid) {
    for (var j = lid; j < params.n; j += WG) { acc = combine(acc, x_in[base + j * params.inner]); }
  }
  return acc;
}
