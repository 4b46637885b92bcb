// Triplet mining, one invocation per anchor, over a block of scores[anchor, column] whose columns are
// candidates col_offset … col_offset + n_cols - 1 of the pool. Blocks are fed in ascending column order, so a
// strict comparison keeps the lowest index on ties, exactly like the CPU miner (src/mining/mine-cpu.ts):
//   PASS 0: positive = argmax over j ≠ self.
//   PASS 1: negative = argmin over the semi-hard band τmin ≤ S < τmax (j ≠ self, positive), else the
//           highest j with S < τmin; valid only if S[positive] > S[negative]. Outputs are rewritten after
//           every block, so they are final after the last one. Invalid anchors get -1, -1.
struct MineState { positive: i32, band: i32, fallback: i32, positive_score: f32, band_score: f32, fallback_score: f32 }
struct Params { n_anchors: u32, n_cols: u32, col_offset: u32, anchor_offset: u32, exclude_self: u32, first_block: u32, tau_min: f32, tau_max: f32 }
override PASS: u32 = 0u;
#include "lib/prologue"
@group(0) @binding(0) var<storage, read> scores: array<f32>;
@group(0) @binding(1) var<storage, read_write> state: array<MineState>;
@group(0) @binding(2) var<storage, read_write> positives: array<i32>;
@group(0) @binding(3) var<storage, read_write> negatives: array<i32>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= params.n_anchors) { return; }
  var st = state[i];
  if (params.first_block == 1u) {
    if (PASS == 0u) { st.positive = -1; }
    st.band = -1;
    st.fallback = -1;
  }
  // Anchor i is pool sample anchor_offset + i when the anchors are part of the pool (exclude_self = 1).
  let self_col = i + params.anchor_offset;
  for (var c = 0u; c < params.n_cols; c++) {
    let j = params.col_offset + c;
    if (params.exclude_self == 1u && j == self_col) { continue; }
    let s = scores[i * params.n_cols + c];
    if (PASS == 0u) {
      if (st.positive < 0 || s > st.positive_score) { st.positive = i32(j); st.positive_score = s; }
    } else {
      if (i32(j) == st.positive) { continue; }
      if (s >= params.tau_min && s < params.tau_max) {
        if (st.band < 0 || s < st.band_score) { st.band = i32(j); st.band_score = s; }
      } else if (s < params.tau_min) {
        if (st.fallback < 0 || s > st.fallback_score) { st.fallback = i32(j); st.fallback_score = s; }
      }
    }
  }
  state[i] = st;
  if (PASS == 1u) {
    var negative = st.fallback;
    var negative_score = st.fallback_score;
    if (st.band >= 0) { negative = st.band; negative_score = st.band_score; }
    let valid = st.positive >= 0 && negative >= 0 && st.positive_score > negative_score;
    positives[i] = select(-1, st.positive, valid);
    negatives[i] = select(-1, negative, valid);
  }
}
