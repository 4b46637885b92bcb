// Batched C[b] = op(A[b]) · op(B[b]), op = identity or transpose (TRANS_A / TRANS_B), any M, N, K.
// Each workgroup computes a TILE_M × TILE_N block of C, staging TILE_K-deep slices of A and B in workgroup
// memory; each invocation keeps a 4 × 4 register block of C (rows ty*4…, cols tx*4…). Tile sizes are
// override constants (WG_X, WG_Y, TILE_K) so the TS side picks them from the device's limits.
// A batch extent of 1 on either operand broadcasts it over the batch.
struct Params { m: u32, n: u32, k: u32, batch_a: u32, batch_b: u32 }
override WG_X: u32 = 16u;
override WG_Y: u32 = 16u;
override TILE_K: u32 = 16u;
override TRANS_A: bool = false;
override TRANS_B: bool = false;
const TM = 4u;
const TN = 4u;
override TILE_M: u32 = WG_Y * TM;
override TILE_N: u32 = WG_X * TN;

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

var<workgroup> tile_a: array<f32, TILE_K * TILE_M>; // [kk][row]
var<workgroup> tile_b: array<f32, TILE_K * TILE_N>; // [kk][col]

fn load_a(base: u32, row: u32, kk: u32) -> f32 {
  if (row >= params.m || kk >= params.k) { return 0.0; }
  if (TRANS_A) { return a[base + kk * params.m + row]; }
  return a[base + row * params.k + kk];
}

fn load_b(base: u32, kk: u32, col: u32) -> f32 {
  if (kk >= params.k || col >= params.n) { return 0.0; }
  if (TRANS_B) { return b[base + col * params.k + kk]; }
  return b[base + kk * params.n + col];
}

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let batch = wid.z;
  let row0 = wid.y * TILE_M;
  let col0 = wid.x * TILE_N;
  let a_base = select(0u, batch * params.m * params.k, params.batch_a > 1u);
  let b_base = select(0u, batch * params.k * params.n, params.batch_b > 1u);
  let threads = WG_X * WG_Y;
  var acc: array<f32, 16>;
  for (var k0 = 0u; k0 < params.k; k0 += TILE_K) {
    // Consecutive invocations read consecutive addresses of whichever layout the operand has.
    for (var e = li; e < TILE_K * TILE_M; e += threads) {
      var kk: u32; var r: u32;
      if (TRANS_A) { kk = e / TILE_M; r = e % TILE_M; } else { r = e / TILE_K; kk = e % TILE_K; }
      tile_a[kk * TILE_M + r] = load_a(a_base, row0 + r, k0 + kk);
    }
    for (var e = li; e < TILE_K * TILE_N; e += threads) {
      var kk: u32; var col: u32;
      if (TRANS_B) { col = e / TILE_K; kk = e % TILE_K; } else { kk = e / TILE_N; col = e % TILE_N; }
      tile_b[kk * TILE_N + col] = load_b(b_base, k0 + kk, col0 + col);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TILE_K; kk++) {
      let ar = kk * TILE_M + lid.y * TM;
      let bc = kk * TILE_N + lid.x * TN;
      let av = vec4<f32>(tile_a[ar], tile_a[ar + 1u], tile_a[ar + 2u], tile_a[ar + 3u]);
      let bv = vec4<f32>(tile_b[bc], tile_b[bc + 1u], tile_b[bc + 2u], tile_b[bc + 3u]);
      for (var i = 0u; i < TM; i++) {
        acc[i * TN + 0u] += av[i] * bv.x;
        acc[i * TN + 1u] += av[i] * bv.y;
        acc[i * TN + 2u] += av[i] * bv.z;
        acc[i * TN + 3u] += av[i] * bv.w;
      }
    }
    workgroupBarrier();
  }
  let c_base = batch * params.m * params.n;
  for (var i = 0u; i < TM; i++) {
    let row = row0 + lid.y * TM + i;
    if (row >= params.m) { break; }
    for (var j = 0u; j < TN; j++) {
      let col = col0 + lid.x * TN + j;
      if (col < params.n) { c[c_base + row * params.n + col] = acc[i * TN + j]; }
    }
  }
}
