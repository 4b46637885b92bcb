// Gradient of mean cross-entropy: dx[r, j] = (softmax(x)[r, j] − [j = t_r]) · g / rows, with g the
// upstream gradient of the scalar loss (read from a buffer: no host round trip).
struct Params { count: u32, n: u32, inv_rows: f32 }
#include "lib/prologue"
@group(0) @binding(0) var<storage, read> x_in: array<f32>;
@group(0) @binding(1) var<storage, read> lse: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<i32>;
@group(0) @binding(3) var<storage, read> g: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= params.count) { return; }
  let row = i / params.n;
  let hit = select(0.0, 1.0, i32(i % params.n) == targets[row]);
  dx[i] = (exp(x_in[i] - lse[row]) - hit) * g[0] * params.inv_rows;
}
