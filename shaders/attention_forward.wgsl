// Fused attention forward (flash-style): out = softmax(scale·QKᵀ + mask)·V for a block of ROWS queries,
// streaming COLS keys at a time with an online softmax (running max m and running sum l per row); only the
// log-sum-exp per row is saved for the backward. A row with no attendable key gets out = 0 and lse = NEG_BIG.
#include "lib/attention_common"
/** One column of scores (4 rows × key `key`): scaled where attended, exactly NEG_BIG where not. */
fn masked_scores(s: vec4<f32>, b: u32, rows: vec4<u32>, key: u32) -> vec4<f32> {
  return select(vec4<f32>(NEG_BIG), s * params.scale, attends4(b, rows, vec4<u32>(key)));
}

/** exp(s − m), and exactly 0 for masked scores (also while m is still NEG_BIG). */
fn probabilities(s: vec4<f32>, m: vec4<f32>) -> vec4<f32> {
  return select(exp(s - m), vec4<f32>(0.0), s == vec4<f32>(NEG_BIG));
}
@group(0) @binding(2) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> k: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> v: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> lse: array<f32>;

var<workgroup> q_tile: array<vec4<f32>, ROWS * DQ>; // [row][quad]
var<workgroup> k_tile: array<vec4<f32>, COLS * DQ>; // [key][quad]
var<workgroup> v_tile: array<vec4<f32>, COLS * DQ>; // [key][quad]
var<workgroup> p_tile: array<vec4<f32>, COLS * WG_Y>; // [key][row quad]: P transposed, 4 rows per vec4
var<workgroup> row_part: array<vec4<f32>, WG_Y * WG_X>; // 4 rows' partial max (per tile), then partial sums

/** Staged rows r…r+3 of q at head-dim quad `quad`, transposed (column i = row r + i). */
fn q_rows(r: u32, quad: u32) -> mat4x4<f32> {
  return transpose(mat4x4<f32>(q_tile[r + quad], q_tile[r + DQ + quad], q_tile[r + 2u * DQ + quad], q_tile[r + 3u * DQ + quad]));
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
    var val = vec4<f32>(0.0);
    if (in_tensor(row, params.seq_q, e % DQ)) { val = q[q_base + row * params.q_row + e % DQ]; }
    q_tile[e] = val;
  }
  // Per invocation: its 4 rows as vec4 lanes (running max m, own-column sum l), scores as mat4x4 columns
  // (column j = key j of its 4, lane i = row i), and acc[t] whose column i is row i's head-dim quad t.
  // Matrices and vectors instead of dynamically indexed arrays keep SwiftShader off per-lane memory.
  var m = vec4<f32>(NEG_BIG);
  var l = vec4<f32>(0.0);
  var acc: array<mat4x4<f32>, TQ>;
  let rows = vec4<u32>(row0 + lid.y * 4u) + vec4<u32>(0u, 1u, 2u, 3u);

  // Column i of q_own[quad] is row i's head-dim quad `quad` (filled only with ROWS_IN_REGISTERS).
  var q_own: array<mat4x4<f32>, HEAD_QUADS>;
  let qr = lid.y * 4u * DQ;
  if (ROWS_IN_REGISTERS) {
    workgroupBarrier();
    for (var quad = 0u; quad < HEAD_QUADS; quad++) {
      q_own[quad] = q_rows(qr, quad);
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
    for (var quad = 0u; quad < HEAD_QUADS; quad++) {
      var q4: mat4x4<f32>;
      if (ROWS_IN_REGISTERS) {
        q4 = q_own[quad];
      } else {
        q4 = q_rows(qr, quad);
      }
      let k4 = mat4x4<f32>(k_tile[kr + quad], k_tile[kr + DQ + quad], k_tile[kr + 2u * DQ + quad], k_tile[kr + 3u * DQ + quad]);
      s += q4 * k4;
    }
    let key0 = col0 + lid.x * 4u;
    s = mat4x4<f32>(masked_scores(s[0], b, rows, key0), masked_scores(s[1], b, rows, key0 + 1u),
                    masked_scores(s[2], b, rows, key0 + 2u), masked_scores(s[3], b, rows, key0 + 3u));
    row_part[lid.y * WG_X + lid.x] = max(max(s[0], s[1]), max(s[2], s[3]));
    workgroupBarrier();

    var m_new = m;
    for (var t = 0u; t < WG_X; t++) { m_new = max(m_new, row_part[lid.y * WG_X + t]); }
    let alpha = exp(m - m_new);
    m = m_new;
    let p = mat4x4<f32>(probabilities(s[0], m), probabilities(s[1], m), probabilities(s[2], m), probabilities(s[3], m));
    l = l * alpha + p[0] + p[1] + p[2] + p[3];
    let rescale = mat4x4<f32>(alpha.x, 0.0, 0.0, 0.0, 0.0, alpha.y, 0.0, 0.0, 0.0, 0.0, alpha.z, 0.0, 0.0, 0.0, 0.0, alpha.w);
    for (var t = 0u; t < TQ; t++) { acc[t] = acc[t] * rescale; }
    for (var j = 0u; j < 4u; j++) { p_tile[(lid.x * 4u + j) * WG_Y + lid.y] = p[j]; }
    workgroupBarrier();

    // Keys outer, head-dim quads inner: each P vec4 is read once per tile, not once per quad.
    for (var c = 0u; c < COLS; c++) {
      let pv = p_tile[c * WG_Y + lid.y];
      for (var t = 0u; t < TQ; t++) {
        let vv = v_tile[c * DQ + lid.x + t * WG_X];
        acc[t] += mat4x4<f32>(vv * pv.x, vv * pv.y, vv * pv.z, vv * pv.w);
      }
    }
  }

  workgroupBarrier();
  row_part[lid.y * WG_X + lid.x] = l;
  workgroupBarrier();
  var total = vec4<f32>(0.0);
  for (var t = 0u; t < WG_X; t++) { total += row_part[lid.y * WG_X + t]; }
  let inv = select(vec4<f32>(0.0), 1.0 / total, total > vec4<f32>(0.0));
  let row_lse = select(vec4<f32>(NEG_BIG), m + log(total), total > vec4<f32>(0.0));
  for (var i = 0u; i < 4u; i++) {
    let row = rows[i];
    if (row >= params.seq_q) { break; }
    for (var t = 0u; t < TQ; t++) {
      let quad = lid.x + t * WG_X;
      if (quad < HEAD_QUADS) { out[q_base + row * params.q_row + quad] = acc[t][i] * inv[i]; }
    }
    if (lid.x == 0u) { lse[bh * params.seq_q + row] = row_lse[i]; }
  }
}
