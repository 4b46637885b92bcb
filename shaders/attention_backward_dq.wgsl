// Fused attention backward, part 1 (FlashAttention-2): for a block of ROWS queries, delta = rowsum(dO∘O),
// then over key tiles P = exp(scale·QKᵀ − lse) recomputed from the saved lse, dP = dO·Vᵀ,
// dS = P∘(dP − delta), dQ = scale·dS·K — accumulated in registers, no atomics. P and dS also go to
// [batch·heads, seq_q, key_quads] vec4 scratch (4 keys per vec4) so that part 2 need not recompute them:
// on the CPU adapters we run on, recomputing QKᵀ and dO·Vᵀ a second time cost more than the stores.
#include "lib/attention_common"
@group(0) @binding(2) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> k: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> v: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> out: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read> d_out: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read> lse: array<f32>;
@group(0) @binding(8) var<storage, read_write> dq: array<vec4<f32>>;
@group(0) @binding(9) var<storage, read_write> probs: array<vec4<f32>>;
@group(0) @binding(10) var<storage, read_write> dscores: array<vec4<f32>>;

var<workgroup> q_tile: array<vec4<f32>, ROWS * DQ>; // [query][quad]
var<workgroup> do_tile: array<vec4<f32>, ROWS * DQ>;
var<workgroup> k_tile: array<vec4<f32>, COLS * DQ>; // [key][quad]
var<workgroup> v_tile: array<vec4<f32>, COLS * DQ>;
var<workgroup> ds_tile: array<vec4<f32>, COLS * WG_Y>; // [key][query quad]: dS transposed
var<workgroup> lse_tile: array<f32, ROWS>;
var<workgroup> delta_tile: array<f32, ROWS>;

/** Staged rows r…r+3 of q at head-dim quad `quad`, transposed (column i = row r + i). */
fn q_rows(r: u32, quad: u32) -> mat4x4<f32> {
  return transpose(mat4x4<f32>(q_tile[r + quad], q_tile[r + DQ + quad], q_tile[r + 2u * DQ + quad], q_tile[r + 3u * DQ + quad]));
}

/** Staged rows r…r+3 of dO at head-dim quad `quad`, transposed (column i = row r + i). */
fn do_rows(r: u32, quad: u32) -> mat4x4<f32> {
  return transpose(mat4x4<f32>(do_tile[r + quad], do_tile[r + DQ + quad], do_tile[r + 2u * DQ + quad], do_tile[r + 3u * DQ + quad]));
}

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let bh = wid.y;
  let b = bh / params.heads;
  let q_base = b * params.q_batch + (bh % params.heads) * params.q_head;
  let kv_base = b * params.kv_batch + (bh % params.heads) * params.kv_head;
  let row0 = wid.x * ROWS;
  for (var e = li; e < ROWS * DQ; e += THREADS) {
    let row = row0 + e / DQ;
    var qv = vec4<f32>(0.0);
    var dov = vec4<f32>(0.0);
    if (in_tensor(row, params.seq_q, e % DQ)) {
      qv = q[q_base + row * params.q_row + e % DQ];
      dov = d_out[q_base + row * params.q_row + e % DQ];
    }
    q_tile[e] = qv;
    do_tile[e] = dov;
  }
  workgroupBarrier();
  for (var r = li; r < ROWS; r += THREADS) {
    let row = row0 + r;
    var dsum = 0.0;
    var row_lse = NEG_BIG;
    if (row < params.seq_q) {
      for (var quad = 0u; quad < HEAD_QUADS; quad++) { dsum += dot(do_tile[r * DQ + quad], out[q_base + row * params.q_row + quad]); }
      row_lse = lse[bh * params.seq_q + row];
    }
    delta_tile[r] = dsum;
    lse_tile[r] = row_lse;
  }
  // Matrices instead of dynamically indexed arrays (see attention_forward.wgsl): columns of s/dp are keys,
  // lanes are this invocation's 4 query rows; column i of acc[t] is row i's head-dim quad t.
  var acc: array<mat4x4<f32>, TQ>;
  let rows = vec4<u32>(row0 + lid.y * 4u) + vec4<u32>(0u, 1u, 2u, 3u);

  // Column i of q_own[quad] / do_own[quad] is row i's head-dim quad `quad` (filled only with ROWS_IN_REGISTERS).
  var q_own: array<mat4x4<f32>, HEAD_QUADS>;
  var do_own: array<mat4x4<f32>, HEAD_QUADS>;
  let qr = lid.y * 4u * DQ;
  if (ROWS_IN_REGISTERS) {
    for (var quad = 0u; quad < HEAD_QUADS; quad++) {
      q_own[quad] = q_rows(qr, quad);
      do_own[quad] = do_rows(qr, quad);
    }
  }
  let end = key_end(row0);
  for (var col0 = 0u; col0 < end; col0 += COLS) {
    workgroupBarrier();
    for (var e = li; e < COLS * DQ; e += THREADS) {
      let key = col0 + e / DQ;
      var kv = vec4<f32>(0.0);
      var vv = vec4<f32>(0.0);
      if (in_tensor(key, params.seq_k, e % DQ)) {
        kv = k[kv_base + key * params.kv_row + e % DQ];
        vv = v[kv_base + key * params.kv_row + e % DQ];
      }
      k_tile[e] = kv;
      v_tile[e] = vv;
    }
    workgroupBarrier();

    let kr = lid.x * 4u * DQ;
    var s = mat4x4<f32>();
    var dp = mat4x4<f32>();
    for (var quad = 0u; quad < HEAD_QUADS; quad++) {
      var q4: mat4x4<f32>;
      var do4: mat4x4<f32>;
      if (ROWS_IN_REGISTERS) {
        q4 = q_own[quad];
        do4 = do_own[quad];
      } else {
        q4 = q_rows(qr, quad);
        do4 = do_rows(qr, quad);
      }
      let k4 = mat4x4<f32>(k_tile[kr + quad], k_tile[kr + DQ + quad], k_tile[kr + 2u * DQ + quad], k_tile[kr + 3u * DQ + quad]);
      let v4 = mat4x4<f32>(v_tile[kr + quad], v_tile[kr + DQ + quad], v_tile[kr + 2u * DQ + quad], v_tile[kr + 3u * DQ + quad]);
      s += q4 * k4;
      dp += do4 * v4;
    }
    let r = lid.y * 4u;
    let row_lse = vec4<f32>(lse_tile[r], lse_tile[r + 1u], lse_tile[r + 2u], lse_tile[r + 3u]);
    let row_delta = vec4<f32>(delta_tile[r], delta_tile[r + 1u], delta_tile[r + 2u], delta_tile[r + 3u]);
    var p = mat4x4<f32>();
    var ds = mat4x4<f32>();
    for (var j = 0u; j < 4u; j++) {
      let key = col0 + lid.x * 4u + j;
      p[j] = select(vec4<f32>(0.0), exp(s[j] * params.scale - row_lse), attends4(b, rows, vec4<u32>(key)));
      ds[j] = p[j] * (dp[j] - row_delta);
      ds_tile[(lid.x * 4u + j) * WG_Y + lid.y] = ds[j];
    }
    // Transposed, column i holds row i's 4 keys: one vec4 store per row.
    let key_quad = col0 / 4u + lid.x;
    if (key_quad < params.key_quads) {
      let pt = transpose(p);
      let dst = transpose(ds);
      for (var i = 0u; i < 4u; i++) {
        if (rows[i] < params.seq_q) {
          let at = (bh * params.seq_q + rows[i]) * params.key_quads + key_quad;
          probs[at] = pt[i];
          dscores[at] = dst[i];
        }
      }
    }
    workgroupBarrier();

    // Keys outer, head-dim quads inner: each dS vec4 is read once per tile, not once per quad.
    for (var c = 0u; c < COLS; c++) {
      let dsv = ds_tile[c * WG_Y + lid.y];
      for (var t = 0u; t < TQ; t++) {
        let kv = k_tile[c * DQ + lid.x + t * WG_X];
        acc[t] += mat4x4<f32>(kv * dsv.x, kv * dsv.y, kv * dsv.z, kv * dsv.w);
      }
    }
  }

  for (var i = 0u; i < 4u; i++) {
    let row = rows[i];
    if (row >= params.seq_q) { break; }
    for (var t = 0u; t < TQ; t++) {
      let quad = lid.x + t * WG_X;
      if (quad < HEAD_QUADS) { dq[q_base + row * params.q_row + quad] = acc[t][i] * params.scale; }
    }
  }
}
