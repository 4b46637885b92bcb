// Fused attention backward, part 2 (FlashAttention-2): for a block of ROWS keys, stream query tiles and
// accumulate dV = Pᵀ·dO and dK = scale·dSᵀ·Q in registers, recomputing P from the saved lse and reading
// delta = rowsum(dO∘O) from part 1. Works on the transposed score tile Sᵀ = K·Qᵀ (rows are keys).
{{COMMON}}
@group(0) @binding(2) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> k: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> v: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> d_out: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read> lse: array<f32>;
@group(0) @binding(7) var<storage, read> delta: array<f32>;
@group(0) @binding(8) var<storage, read_write> dk: array<vec4<f32>>;
@group(0) @binding(9) var<storage, read_write> dv: array<vec4<f32>>;

var<workgroup> k_tile: array<vec4<f32>, ROWS * DQ>; // [key][quad]
var<workgroup> v_tile: array<vec4<f32>, ROWS * DQ>;
var<workgroup> q_tile: array<vec4<f32>, COLS * DQ>; // [query][quad]
var<workgroup> do_tile: array<vec4<f32>, COLS * DQ>;
var<workgroup> p_tile: array<vec4<f32>, COLS * WG_Y>; // [query][key quad]
var<workgroup> ds_tile: array<vec4<f32>, COLS * WG_Y>;
var<workgroup> lse_tile: array<f32, COLS>;
var<workgroup> delta_tile: array<f32, COLS>;

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let bh = wid.y;
  let b = bh / params.heads;
  let q_base = b * params.q_batch + (bh % params.heads) * params.q_head;
  let kv_base = b * params.kv_batch + (bh % params.heads) * params.kv_head;
  let row0 = wid.x * ROWS;
  for (var e = li; e < ROWS * DQ; e += THREADS) {
    let key = row0 + e / DQ;
    var kv = vec4<f32>(0.0);
    var vv = vec4<f32>(0.0);
    if (in_tensor(key, params.seq_k, e % DQ)) {
      kv = k[kv_base + key * params.kv_row + e % DQ];
      vv = v[kv_base + key * params.kv_row + e % DQ];
    }
    k_tile[e] = kv;
    v_tile[e] = vv;
  }
  // Matrices instead of dynamically indexed arrays (see attention_forward.wgsl): columns of sᵀ/dpᵀ are
  // queries, lanes are this invocation's 4 keys; column i of acc_dk[t] / acc_dv[t] is key i's quad t.
  var acc_dk: array<mat4x4<f32>, TQ>;
  var acc_dv: array<mat4x4<f32>, TQ>;
  let keys = vec4<u32>(row0 + lid.y * 4u) + vec4<u32>(0u, 1u, 2u, 3u);

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
    for (var c = li; c < COLS; c += THREADS) {
      let query = col0 + c;
      let inside = query < params.seq_q;
      lse_tile[c] = select(NEG_BIG, lse[bh * params.seq_q + min(query, params.seq_q - 1u)], inside);
      delta_tile[c] = select(0.0, delta[bh * params.seq_q + min(query, params.seq_q - 1u)], inside);
    }
    workgroupBarrier();

    let kr = lid.y * 4u * DQ;
    let qr = lid.x * 4u * DQ;
    var st = mat4x4<f32>();
    var dpt = mat4x4<f32>();
    for (var quad = 0u; quad < DQ; quad++) {
      let k4 = mat4x4<f32>(k_tile[kr + quad], k_tile[kr + DQ + quad], k_tile[kr + 2u * DQ + quad], k_tile[kr + 3u * DQ + quad]);
      let v4 = mat4x4<f32>(v_tile[kr + quad], v_tile[kr + DQ + quad], v_tile[kr + 2u * DQ + quad], v_tile[kr + 3u * DQ + quad]);
      let q4 = mat4x4<f32>(q_tile[qr + quad], q_tile[qr + DQ + quad], q_tile[qr + 2u * DQ + quad], q_tile[qr + 3u * DQ + quad]);
      let do4 = mat4x4<f32>(do_tile[qr + quad], do_tile[qr + DQ + quad], do_tile[qr + 2u * DQ + quad], do_tile[qr + 3u * DQ + quad]);
      st += transpose(k4) * q4;
      dpt += transpose(v4) * do4;
    }
    for (var j = 0u; j < 4u; j++) {
      let c = lid.x * 4u + j;
      let p = select(vec4<f32>(0.0), exp(st[j] * params.scale - lse_tile[c]), attends4(b, vec4<u32>(col0 + c), keys));
      p_tile[c * WG_Y + lid.y] = p;
      ds_tile[c * WG_Y + lid.y] = p * (dpt[j] - delta_tile[c]);
    }
    workgroupBarrier();

    for (var t = 0u; t < TQ; t++) {
      var a_dk = acc_dk[t];
      var a_dv = acc_dv[t];
      for (var c = 0u; c < COLS; c++) {
        let pv = p_tile[c * WG_Y + lid.y];
        let dsv = ds_tile[c * WG_Y + lid.y];
        let dov = do_tile[c * DQ + lid.x + t * WG_X];
        let qv = q_tile[c * DQ + lid.x + t * WG_X];
        a_dv += mat4x4<f32>(dov * pv.x, dov * pv.y, dov * pv.z, dov * pv.w);
        a_dk += mat4x4<f32>(qv * dsv.x, qv * dsv.y, qv * dsv.z, qv * dsv.w);
      }
      acc_dk[t] = a_dk;
      acc_dv[t] = a_dv;
    }
  }

  for (var i = 0u; i < 4u; i++) {
    let key = keys[i];
    if (key >= params.seq_k) { break; }
    for (var t = 0u; t < TQ; t++) {
      let quad = lid.x + t * WG_X;
      if (quad < HEAD_QUADS) {
        dk[kv_base + key * params.kv_row + quad] = acc_dk[t][i] * params.scale;
        dv[kv_base + key * params.kv_row + quad] = acc_dv[t][i];
      }
    }
  }
}
