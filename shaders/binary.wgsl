// out[i] = op(a[ia], b[ib]) with NumPy broadcasting: a and b are read through strides that are 0 along
// broadcast dimensions. Shapes of up to 8 dimensions travel as two vec4s; the launcher merges dimensions first
// (collapseBroadcast), so RANK is usually 1 (same shapes) or 2 (a bias), and as a pipeline constant it lets the
// driver unroll the loop: a runtime-length loop indexing the uniform vectors was a large share of SwiftShader's
// element-wise time (`npx tsx bench/profile-step.ts --backend swiftshader`, bench/results/profile-tiny-b4-*.md).
struct Params {
  count: u32,
  out_shape: array<vec4<u32>, 2>,
  a_strides: array<vec4<u32>, 2>,
  b_strides: array<vec4<u32>, 2>,
}
#include "lib/prologue"
override RANK: u32 = 1u;
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

fn op(x: f32, y: f32) -> f32 { return {{EXPR}}; }

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= params.count) { return; }
  // Innermost dimension first; the outermost takes what is left, without a division.
  var rest = i;
  var ia = 0u;
  var ib = 0u;
  for (var k = RANK - 1u; k > 0u; k--) {
    let extent = params.out_shape[k / 4u][k % 4u];
    let coord = rest % extent;
    rest = rest / extent;
    ia += coord * params.a_strides[k / 4u][k % 4u];
    ib += coord * params.b_strides[k / 4u][k % 4u];
  }
  ia += rest * params.a_strides[0].x;
  ib += rest * params.b_strides[0].x;
  out[i] = op(a[ia], b[ib]);
}
