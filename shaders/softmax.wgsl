// Softmax (LOG = false) or log-softmax (LOG = true) of each row of x viewed as [rows, n]: one workgroup per
// row; subtracting the row maximum first keeps exp from overflowing.
struct Params { rows: u32, n: u32 }
override WG: u32 = 64u;
override LOG: bool = false;
@group(0) @binding(0) var<storage, read> x_in: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;
{{WORKGROUP_REDUCE}}
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * groups.x;
  let valid = row < params.rows;
  let base = row * params.n;
  var m = -3.4028234663852886e38;
  if (valid) { for (var j = lid; j < params.n; j += WG) { m = max(m, x_in[base + j]); } }
  m = wg_max(m, lid);
  var s = 0.0;
  if (valid) { for (var j = lid; j < params.n; j += WG) { s += exp(x_in[base + j] - m); } }
  s = wg_sum(s, lid);
  if (valid) {
    for (var j = lid; j < params.n; j += WG) {
      let z = x_in[base + j] - m;
      out[base + j] = select(exp(z) / s, z - log(s), LOG);
    }
  }
}
