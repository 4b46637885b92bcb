// Fused attention backward, part 2, streaming variant (see attention_forward_stream.wgsl): each invocation owns
// ROW_BLOCKS blocks of 4 keys ($R) and the workgroup walks the queries 4 at a time, reading the 4×4 P and dS
// blocks part 1 (attention_backward_dq_stream.wgsl) wrote instead of recomputing them: dV = Pᵀ·dO and
// dK = scale·dSᵀ·Q, every Q/dO quad read serving 4·ROW_BLOCKS keys.
#include "lib/attention_common"
{{READERS}}
const ROW_BLOCKS = {{ROW_BLOCKS}}u;
@group(0) @binding(2) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> d_out: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> probs: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> dscores: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> dk: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> dv: array<vec4<f32>>;

/** The P and dS blocks of (query quad, key quad): column j = key j over the 4 queries. */
struct Block {
  p: mat4x4<f32>,
  ds: mat4x4<f32>,
}

/** Part 1 wrote the blocks its query rows can attend to; others (past the keys, or wholly in a causal future) are 0. */
fn read_block(bh: u32, query_quad: u32, key_quad: u32) -> Block {
  let written = key_quad < params.key_quads && (params.causal == 0u || key_quad * 4u <= query_quad * 4u + 3u);
  if (!written) { return Block(mat4x4<f32>(), mat4x4<f32>()); }
  let at = ((bh * ((params.seq_q + 3u) / 4u) + query_quad) * params.key_quads + key_quad) * 4u;
  return Block(mat4x4<f32>(probs[at], probs[at + 1u], probs[at + 2u], probs[at + 3u]),
               mat4x4<f32>(dscores[at], dscores[at + 1u], dscores[at + 2u], dscores[at + 3u]));
}

/** Quad `quad` of the 4 keys' dK and dV. */
fn write_quad(acc_dk: mat4x4<f32>, acc_dv: mat4x4<f32>, key0: u32, kv_base: u32, quad: u32) {
  for (var j = 0u; j < 4u; j++) {
    let key = key0 + j;
    if (key < params.seq_k) {
      dk[kv_base + key * params.kv_row + quad] = acc_dk[j] * params.scale;
      dv[kv_base + key * params.kv_row + quad] = acc_dv[j];
    }
  }
}

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let bh = wid.y;
  let b = bh / params.heads;
  let q_base = b * params.q_batch + (bh % params.heads) * params.q_head;
  let kv_base = b * params.kv_batch + (bh % params.heads) * params.kv_head;
  let key_quad0 = (wid.x * ROWS + li * 4u * ROW_BLOCKS) / 4u;
  // Column j of acc_dk$R_$Q / acc_dv$R_$Q is key 4·(key_quad0 + $R) + j's quad $Q (separate variables per quad,
  // as in attention_forward_stream.wgsl).
  @each(R)
  @each(Q) var acc_dk$R_$Q = mat4x4<f32>();
  @each(Q) var acc_dv$R_$Q = mat4x4<f32>();
  @end
  // Under the causal mask, queries before the workgroup's first key attend to none of its keys.
  let start = select(0u, wid.x * ROWS / 4u, params.causal != 0u);
  for (var query_quad = start; query_quad < (params.seq_q + 3u) / 4u; query_quad++) {
    @each(R) let block$R = read_block(bh, query_quad, key_quad0 + $R);
    // (dO · P)[column j] = Σ_i p_j[i] · dO_i, with column i of dO = query i's quad.
    @each(Q)
    let do4_$Q = d_out_quads(q_base, params.q_row, query_quad * 4u, params.seq_q, $Q);
    let q4_$Q = q_quads(q_base, params.q_row, query_quad * 4u, params.seq_q, $Q);
    @each(R) acc_dv$R_$Q += do4_$Q * block$R.p;
    @each(R) acc_dk$R_$Q += q4_$Q * block$R.ds;
    @end
  }
  @each(R)
  @each(Q) write_quad(acc_dk$R_$Q, acc_dv$R_$Q, (key_quad0 + $R) * 4u, kv_base, $Q);
  @end
}
