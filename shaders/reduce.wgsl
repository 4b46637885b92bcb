// Reduction along one axis of a tensor viewed as [outer, n, inner]: one workgroup per output element,
// threads stride over the axis, then the workgroup folds its partial values: a tree in workgroup memory, or,
// where the device has subgroups, a fold within each subgroup first (src/ops/reduce.ts picks the variant).
// The result is multiplied by params.scale (1/n for a mean).
{{ENABLE}}
struct Params { outer: u32, n: u32, inner: u32, scale: f32 }
override WG: u32 = 64u; // a power of two
@group(0) @binding(0) var<storage, read> x_in: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;
var<workgroup> partial: array<f32, WG>;

fn combine(a: f32, b: f32) -> f32 { return {{COMBINE}}; }

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32{{SUBGROUP_BUILTINS}}) {
  let o = wid.x + wid.y * groups.x;
  let valid = o < params.outer * params.inner;
  let base = (o / params.inner) * params.n * params.inner + o % params.inner;
  var acc = {{IDENTITY}};
  if (valid) {
    for (var j = lid; j < params.n; j += WG) { acc = combine(acc, x_in[base + j * params.inner]); }
  }
  {{WORKGROUP_FOLD}}
  if (valid && lid == 0u) { out[o] = partial[0] * params.scale; }
}
