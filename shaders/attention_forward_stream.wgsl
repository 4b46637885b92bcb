// Fused attention forward, streaming variant (for CPU rasterizers; src/ops/attention.ts picks it per adapter):
// the online softmax of attention_forward.wgsl with no workgroup memory and no barriers. Each invocation owns
// ROW_BLOCKS blocks of 4 query rows ($R), kept in registers, and all invocations of the workgroup walk the same 4
// keys at a time straight from storage. On llvmpipe a storage read costs a loop over the SIMD lanes whatever
// the address, so what counts is multiply-adds per value read: every K/V quad read serves 4·ROW_BLOCKS rows.
#include "lib/attention_common"
{{READERS}}
const ROW_BLOCKS = {{ROW_BLOCKS}}u;
@group(0) @binding(2) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> k: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> v: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> lse: array<f32>;

/** What one online-softmax step over 4 keys hands the P·V accumulation of 4 rows. */
struct Step {
  /** Pᵀ: column i holds row i's probabilities of the 4 keys. */
  pt: mat4x4<f32>,
  /** diag(exp(m_old − m_new)): rescales the accumulator columns to the new running max. */
  rescale: mat4x4<f32>,
}

/** Scores s (column j = key key0 + j, lane i = row i) → probabilities, updating the running max m and sum l. */
fn softmax_step(s: mat4x4<f32>, b: u32, rows: vec4<u32>, key0: u32, m: ptr<function, vec4<f32>>, l: ptr<function, vec4<f32>>) -> Step {
  var masked: mat4x4<f32>;
  for (var j = 0u; j < 4u; j++) { masked[j] = select(vec4<f32>(NEG_BIG), s[j] * params.scale, attends4(b, rows, vec4<u32>(key0 + j))); }
  let m_new = max(*m, max(max(masked[0], masked[1]), max(masked[2], masked[3])));
  let alpha = exp(*m - m_new);
  *m = m_new;
  // exp(s − m), and exactly 0 for masked scores (also while m is still NEG_BIG).
  var p: mat4x4<f32>;
  for (var j = 0u; j < 4u; j++) { p[j] = select(exp(masked[j] - m_new), vec4<f32>(0.0), masked[j] == vec4<f32>(NEG_BIG)); }
  *l = *l * alpha + p[0] + p[1] + p[2] + p[3];
  return Step(transpose(p), mat4x4<f32>(alpha.x, 0.0, 0.0, 0.0, 0.0, alpha.y, 0.0, 0.0, 0.0, 0.0, alpha.z, 0.0, 0.0, 0.0, 0.0, alpha.w));
}

/** Quad `quad` of the 4 rows' output, acc / l (0 for a row with no attendable key). */
fn write_quad(acc: mat4x4<f32>, rows: vec4<u32>, inv: vec4<f32>, q_base: u32, quad: u32) {
  for (var i = 0u; i < 4u; i++) {
    if (rows[i] < params.seq_q) { out[q_base + rows[i] * params.q_row + quad] = acc[i] * inv[i]; }
  }
}

/** The 4 rows' lse, m + log l (LOG_ZERO for a row with no attendable key); returns 1 / l (0 there). */
fn write_lse(rows: vec4<u32>, m: vec4<f32>, l: vec4<f32>, bh: u32) -> vec4<f32> {
  let row_lse = select(vec4<f32>(NEG_BIG), m + log(l), l > vec4<f32>(0.0));
  for (var i = 0u; i < 4u; i++) {
    if (rows[i] < params.seq_q) { lse[bh * params.seq_q + rows[i]] = row_lse[i]; }
  }
  return select(vec4<f32>(0.0), 1.0 / l, l > vec4<f32>(0.0));
}

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let bh = wid.y;
  let b = bh / params.heads;
  let q_base = b * params.q_batch + (bh % params.heads) * params.q_head;
  let kv_base = b * params.kv_batch + (bh % params.heads) * params.kv_head;
  let row0 = wid.x * ROWS + li * 4u * ROW_BLOCKS;
  // Row i of q_t$R_$Q is query row i's head-dim quad $Q (s += q_t · K gives s[j][i] = q_i · k_j); column i of
  // acc$R_$Q is row i's output quad $Q; m$R and l$R are the 4 rows' running max and sum. Head-dim quads are
  // separate variables too (@each(Q)): SwiftShader keeps arrays indexed in loops in memory.
  @each(R)
  let rows$R = vec4<u32>(row0 + 4u * $R) + vec4<u32>(0u, 1u, 2u, 3u);
  @each(Q) let q_t$R_$Q = transpose(q_quads(q_base, params.q_row, rows$R.x, params.seq_q, $Q));
  @each(Q) var acc$R_$Q = mat4x4<f32>();
  var m$R = vec4<f32>(NEG_BIG);
  var l$R = vec4<f32>(0.0);
  @end
  let end = key_end(wid.x * ROWS);
  for (var key0 = 0u; key0 < end; key0 += 4u) {
    @each(R) var s$R = mat4x4<f32>();
    @each(Q)
    let k4_$Q = k_quads(kv_base, params.kv_row, key0, params.seq_k, $Q);
    @each(R) s$R += q_t$R_$Q * k4_$Q;
    @end
    @each(R) let step$R = softmax_step(s$R, b, rows$R, key0, &m$R, &l$R);
    // acc column i ← alpha_i · column i + Σ_j p_j[i] · v_j: V (column j = key j) times Pᵀ.
    @each(Q)
    let v4_$Q = v_quads(kv_base, params.kv_row, key0, params.seq_k, $Q);
    @each(R) acc$R_$Q = acc$R_$Q * step$R.rescale + v4_$Q * step$R.pt;
    @end
  }
  @each(R)
  let inv$R = write_lse(rows$R, m$R, l$R, bh);
  @each(Q) write_quad(acc$R_$Q, rows$R, inv$R, q_base, $Q);
  @end
}
