// Shared by the attention kernels (attention_*.wgsl), which include it; HEAD_QUADS and TQ are template values.
// A workgroup owns ROWS = 4·WG_Y rows of one (batch, head) — queries in the forward and dQ kernels, keys in the
// dK/dV kernel — and streams tiles of COLS = 4·WG_X rows of the other side through workgroup memory. Each
// invocation holds a 4×4 block of the ROWS×COLS score tile and, for its 4 rows, TQ quads of the head dimension
// of the accumulators (quads lx, lx + WG_X, …). Rows are staged as vec4 quads: the head dim is a multiple of 4
// and padded with zero quads up to DQ = WG_X·TQ.
// Per-invocation state lives in vec4/mat4x4 values rather than dynamically indexed arrays (SwiftShader spills
// those to per-lane memory), and score accumulators are re-initialised explicitly each tile: SwiftShader (via
// SPIR-V) kept the previous tile's sums in a loop-local `var` that relied on implicit zero-initialisation.
// q/k/v/out are addressed through strides (in quads), so [batch, heads, seq, dim] and [batch, seq, heads·dim]
// are read in place, without transposes.
struct Params {
  seq_q: u32, seq_k: u32, heads: u32,
  q_batch: u32, q_head: u32, q_row: u32,
  kv_batch: u32, kv_head: u32, kv_row: u32,
  scale: f32, causal: u32, has_mask: u32,
  key_quads: u32,
}
override WG_X: u32 = 8u;
override WG_Y: u32 = 8u;
const HEAD_QUADS = {{HEAD_QUADS}}u;
const TQ = {{TQ}}u;
override DQ: u32 = WG_X * TQ;
override ROWS: u32 = WG_Y * 4u;
override COLS: u32 = WG_X * 4u;
override THREADS: u32 = WG_X * WG_Y;
// Where the forward and dQ kernels read an invocation's own 4 query rows from in the score loop: registers, filled
// once (llvmpipe, whose lane-varying workgroup-memory reads are gathers), or the staged tile on every key tile
// (elsewhere; src/ops/attention.ts decides).
override ROWS_IN_REGISTERS: bool = false;
// WGSL has no -inf literal: the lowest finite f32 stands for log 0 (masked scores, lse of an all-masked row).
const NEG_BIG = -3.4028234663852886e38;

@group(0) @binding(0) var<uniform> params: Params;
// 1 = keep, 0 = padding; read as raw bits so f32 (±0 is "masked") and u32/i32 masks both work.
@group(0) @binding(1) var<storage, read> key_mask: array<u32>;

/** Whether query `query` of batch b attends to key `key` (in range, not padding, not in its future). */
fn attends(b: u32, query: u32, key: u32) -> bool {
  if (key >= params.seq_k || query >= params.seq_q) { return false; }
  if (params.causal != 0u && key > query) { return false; }
  return params.has_mask == 0u || (key_mask[b * params.seq_k + key] & 0x7fffffffu) != 0u;
}

/** attends() for 4 (query, key) pairs at once. */
fn attends4(b: u32, queries: vec4<u32>, keys: vec4<u32>) -> vec4<bool> {
  return vec4<bool>(attends(b, queries.x, keys.x), attends(b, queries.y, keys.y), attends(b, queries.z, keys.z), attends(b, queries.w, keys.w));
}

/** Whether quad `quad` of row `row` (of `count`) exists in the tensor; staging writes zeros elsewhere. */
fn in_tensor(row: u32, count: u32, quad: u32) -> bool {
  return row < count && quad < HEAD_QUADS;
}

/** Keys a query block [row0, row0 + ROWS) can attend to end here (causal blocks skip the future). */
fn key_end(row0: u32) -> u32 {
  if (params.causal != 0u) { return min(params.seq_k, row0 + ROWS); }
  return params.seq_k;
}
