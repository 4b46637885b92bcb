// scores[i, j] = S(anchor i, candidate j) for an n_anchors × n_candidates block.
#include "lib/medtrim_score"
struct Params { n_anchors: u32, n_candidates: u32, num_classes: u32, adj_words: u32, dir_words: u32, g0: f32, g1: f32, g2: f32 }
#include "lib/prologue"
@group(0) @binding(3) var<storage, read_write> scores: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let k = linear_index(gid, groups);
  if (k >= params.n_anchors * params.n_candidates) { return; }
  let i = k / params.n_candidates;
  let j = k % params.n_candidates;
  scores[k] = pair_score(i, j);
}
