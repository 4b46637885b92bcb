// Reduction along one axis of a tensor viewed as [outer, n, inner]: one workgroup per output element,
// threads stride over the axis, then a tree reduction in workgroup memory. {{COMBINE}} folds a and b,
// {{IDENTITY}} is its neutral element; the result is multiplied by params.scale (1/n for a mean).
struct Params { outer: u32, n: u32, inner: u32, scale: f32 }
override WG: u32 = 64u; // a power of two
@group(0) @binding(0) var<storage, read> x_in: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;
var<workgroup> partial: array<f32, WG>;

fn combine(a: f32, b: f32) -> f32 { return {{COMBINE}}; }

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let o = wid.x + wid.y * groups.x;
  let valid = o < params.outer * params.inner;
  let base = (o / params.inner) * params.n * params.inner + o % params.inner;
  var acc = {{IDENTITY}};
  if (valid) {
    for (var j = lid; j < params.n; j += WG) { acc = combine(acc, x_in[base + j * params.inner]); }
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { partial[lid] = combine(partial[lid], partial[lid + s]); }
    workgroupBarrier();
  }
  if (valid && lid == 0u) { out[o] = partial[0] * params.scale; }
}
