// Fused attention backward, part 1, streaming variant (see attention_forward_stream.wgsl): each invocation owns
// ROW_BLOCKS blocks of 4 query rows ($R), their Q and dO quads in registers, and the workgroup walks the keys 4 at
// a time: P = exp(scale·QKᵀ − lse) from the saved lse, dP = dO·Vᵀ, dS = P∘(dP − delta) with delta = rowsum(dO∘O),
// dQ = scale·dS·K. P and dS go to the scratch as 4×4 blocks, [batch·heads, query quad, key quad] × 4 vec4
// (column j = key j over the 4 queries): part 2 reads one block per step. The key quads read for the scores are
// kept for the dS·K product (one read per step instead of two).
#include "lib/attention_common"
{{READERS}}
const ROW_BLOCKS = {{ROW_BLOCKS}}u;
@group(0) @binding(2) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> k: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> v: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> out: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read> d_out: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read> lse: array<f32>;
@group(0) @binding(8) var<storage, read_write> dq: array<vec4<f32>>;
@group(0) @binding(9) var<storage, read_write> probs: array<vec4<f32>>;
@group(0) @binding(10) var<storage, read_write> dscores: array<vec4<f32>>;

/** The 4 rows' saved lse (NEG_BIG past the end: their probabilities are masked anyway). */
fn row_lse(bh: u32, rows: vec4<u32>) -> vec4<f32> {
  var out_lse = vec4<f32>(NEG_BIG);
  for (var i = 0u; i < 4u; i++) {
    if (rows[i] < params.seq_q) { out_lse[i] = lse[bh * params.seq_q + rows[i]]; }
  }
  return out_lse;
}

/**
 * P and dS of 4 rows × keys key0…key0+3 from scores s and dP (column j = key j, lane i = row i), stored as the
 * scratch block (query quad rows.x / 4, key quad key0 / 4); returns dSᵀ for the dS·K product.
 */
fn scores_grad(s: mat4x4<f32>, dp: mat4x4<f32>, lse4: vec4<f32>, delta: vec4<f32>, b: u32, bh: u32, rows: vec4<u32>, key0: u32) -> mat4x4<f32> {
  var p: mat4x4<f32>;
  var ds: mat4x4<f32>;
  for (var j = 0u; j < 4u; j++) {
    p[j] = select(vec4<f32>(0.0), exp(s[j] * params.scale - lse4), attends4(b, rows, vec4<u32>(key0 + j)));
    ds[j] = p[j] * (dp[j] - delta);
  }
  if (rows.x < params.seq_q) {
    let at = ((bh * ((params.seq_q + 3u) / 4u) + rows.x / 4u) * params.key_quads + key0 / 4u) * 4u;
    for (var j = 0u; j < 4u; j++) {
      probs[at + j] = p[j];
      dscores[at + j] = ds[j];
    }
  }
  return transpose(ds);
}

/** Quad `quad` of the 4 rows' dQ. */
fn write_quad(acc: mat4x4<f32>, rows: vec4<u32>, q_base: u32, quad: u32) {
  for (var i = 0u; i < 4u; i++) {
    if (rows[i] < params.seq_q) { dq[q_base + rows[i] * params.q_row + quad] = acc[i] * params.scale; }
  }
}

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let bh = wid.y;
  let b = bh / params.heads;
  let q_base = b * params.q_batch + (bh % params.heads) * params.q_head;
  let kv_base = b * params.kv_batch + (bh % params.heads) * params.kv_head;
  let row0 = wid.x * ROWS + li * 4u * ROW_BLOCKS;
  // Row i of q_t$R_$Q / do_t$R_$Q is query row i's quad $Q; column i of acc$R_$Q is row i's dQ quad $Q (separate
  // variables per quad, as in attention_forward_stream.wgsl).
  @each(R)
  let rows$R = vec4<u32>(row0 + 4u * $R) + vec4<u32>(0u, 1u, 2u, 3u);
  var delta$R = vec4<f32>(0.0);
  @each(Q)
  let do4_$R_$Q = d_out_quads(q_base, params.q_row, rows$R.x, params.seq_q, $Q);
  let o4_$R_$Q = out_quads(q_base, params.q_row, rows$R.x, params.seq_q, $Q);
  delta$R += vec4<f32>(dot(do4_$R_$Q[0], o4_$R_$Q[0]), dot(do4_$R_$Q[1], o4_$R_$Q[1]), dot(do4_$R_$Q[2], o4_$R_$Q[2]), dot(do4_$R_$Q[3], o4_$R_$Q[3]));
  let q_t$R_$Q = transpose(q_quads(q_base, params.q_row, rows$R.x, params.seq_q, $Q));
  let do_t$R_$Q = transpose(do4_$R_$Q);
  var acc$R_$Q = mat4x4<f32>();
  @end
  let lse$R = row_lse(bh, rows$R);
  @end
  let end = key_end(wid.x * ROWS);
  for (var key0 = 0u; key0 < end; key0 += 4u) {
    @each(R) var s$R = mat4x4<f32>();
    @each(R) var dp$R = mat4x4<f32>();
    @each(Q)
    let k4_$Q = k_quads(kv_base, params.kv_row, key0, params.seq_k, $Q);
    let v4_$Q = v_quads(kv_base, params.kv_row, key0, params.seq_k, $Q);
    @each(R) s$R += q_t$R_$Q * k4_$Q;
    @each(R) dp$R += do_t$R_$Q * v4_$Q;
    @end
    @each(R) let dst$R = scores_grad(s$R, dp$R, lse$R, delta$R, b, bh, rows$R, key0);
    // acc column i += Σ_j ds_j[i] · k_j: K (column j = key j) times dSᵀ, K kept from the scores.
    @each(R)
    @each(Q) acc$R_$Q += k4_$Q * dst$R;
    @end
  }
  @each(R)
  @each(Q) write_quad(acc$R_$Q, rows$R, q_base, $Q);
  @end
}
