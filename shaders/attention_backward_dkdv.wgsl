// Fused attention backward, part 2 (FlashAttention-2 order): for a block of ROWS keys, stream query tiles and
// accumulate dV = Pᵀ·dO and dK = scale·dSᵀ·Q in registers, reading P and dS from the scratch that part 1
// wrote ([batch·heads, seq_q, key_quads], 4 keys per vec4) instead of recomputing them. Each invocation owns
// KEY_BLOCKS blocks of 4 keys (ROWS = 4·KEY_BLOCKS·WG_Y keys a workgroup); src/ops/attention.ts picks KEY_BLOCKS
// per adapter.
#include "lib/attention_common"
const KEY_BLOCKS = {{KEY_BLOCKS}}u;
override KEY_QUADS: u32 = WG_Y * KEY_BLOCKS;
@group(0) @binding(2) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> d_out: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> probs: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> dscores: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> dk: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> dv: array<vec4<f32>>;

var<workgroup> q_tile: array<vec4<f32>, COLS * DQ>; // [query][quad]
var<workgroup> do_tile: array<vec4<f32>, COLS * DQ>;
var<workgroup> p_tile: array<vec4<f32>, COLS * KEY_QUADS>; // [query][key quad]
var<workgroup> ds_tile: array<vec4<f32>, COLS * KEY_QUADS>;

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let bh = wid.y;
  let b = bh / params.heads;
  let q_base = b * params.q_batch + (bh % params.heads) * params.q_head;
  let kv_base = b * params.kv_batch + (bh % params.heads) * params.kv_head;
  let row0 = wid.x * ROWS;
  // Column i of acc_dk[kb·TQ + t] / acc_dv[…] is key i of block kb, head-dim quad t (see attention_forward.wgsl).
  var acc_dk: array<mat4x4<f32>, KEY_BLOCKS * TQ>;
  var acc_dv: array<mat4x4<f32>, KEY_BLOCKS * TQ>;
  let own_quad0 = lid.y * KEY_BLOCKS;

  // Under the causal mask, queries before the first key of the block attend to none of it.
  let start = select(0u, row0, params.causal != 0u);
  for (var col0 = start; col0 < params.seq_q; col0 += COLS) {
    workgroupBarrier();
    for (var e = li; e < COLS * DQ; e += THREADS) {
      let query = col0 + e / DQ;
      var qv = vec4<f32>(0.0);
      var dov = vec4<f32>(0.0);
      if (in_tensor(query, params.seq_q, e % DQ)) {
        qv = q[q_base + query * params.q_row + e % DQ];
        dov = d_out[q_base + query * params.q_row + e % DQ];
      }
      q_tile[e] = qv;
      do_tile[e] = dov;
    }
    // Part 1 wrote only the key tiles a query block can attend to: anything else reads as 0 here.
    for (var e = li; e < COLS * KEY_QUADS; e += THREADS) {
      let query = col0 + e / KEY_QUADS;
      let key_quad = row0 / 4u + e % KEY_QUADS;
      let kept = attends4(b, vec4<u32>(query), vec4<u32>(key_quad * 4u) + vec4<u32>(0u, 1u, 2u, 3u));
      var pv = vec4<f32>(0.0);
      var dsv = vec4<f32>(0.0);
      if (any(kept)) {
        let at = (bh * params.seq_q + query) * params.key_quads + key_quad;
        pv = select(vec4<f32>(0.0), probs[at], kept);
        dsv = select(vec4<f32>(0.0), dscores[at], kept);
      }
      p_tile[e] = pv;
      ds_tile[e] = dsv;
    }
    workgroupBarrier();

    // Queries outer, head-dim quads inner: each P / dS vec4 is read once per tile, not once per quad.
    for (var c = 0u; c < COLS; c++) {
      for (var kb = 0u; kb < KEY_BLOCKS; kb++) {
        let pv = p_tile[c * KEY_QUADS + own_quad0 + kb];
        let dsv = ds_tile[c * KEY_QUADS + own_quad0 + kb];
        for (var t = 0u; t < TQ; t++) {
          let dov = do_tile[c * DQ + lid.x + t * WG_X];
          let qv = q_tile[c * DQ + lid.x + t * WG_X];
          acc_dv[kb * TQ + t] += mat4x4<f32>(dov * pv.x, dov * pv.y, dov * pv.z, dov * pv.w);
          acc_dk[kb * TQ + t] += mat4x4<f32>(qv * dsv.x, qv * dsv.y, qv * dsv.z, qv * dsv.w);
        }
      }
    }
  }

  for (var kb = 0u; kb < KEY_BLOCKS; kb++) {
    for (var i = 0u; i < 4u; i++) {
      let key = row0 + (own_quad0 + kb) * 4u + i;
      if (key >= params.seq_k) { break; }
      for (var t = 0u; t < TQ; t++) {
        let quad = lid.x + t * WG_X;
        if (quad < HEAD_QUADS) {
          dk[kv_base + key * params.kv_row + quad] = acc_dk[kb * TQ + t][i] * params.scale;
          dv[kv_base + key * params.kv_row + quad] = acc_dv[kb * TQ + t][i];
        }
      }
    }
  }
}
