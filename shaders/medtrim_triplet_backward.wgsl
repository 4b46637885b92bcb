// Gradient of the MedTrim triplet loss (medtrim_triplet.wgsl) with respect to both embedding matrices.
// One invocation per element (modality m, sample j, dim k); it gathers every anchor's contribution to that
// element (j as anchor, as positive, as negative), so the sum is deterministic without atomics. For the
// modality m, "same" is m's embeddings and "other" the other modality's; with d = 1 − a·b and an open hinge
// of weight w, ∂/∂a = w(q − p), ∂/∂p = −w·a, ∂/∂q = w·a.
struct Params { n: u32, dim: u32 }
#include "lib/prologue"
@group(0) @binding(0) var<storage, read> img: array<f32>;
@group(0) @binding(1) var<storage, read> txt: array<f32>;
@group(0) @binding(2) var<storage, read> positives: array<i32>;
@group(0) @binding(3) var<storage, read> negatives: array<i32>;
@group(0) @binding(4) var<storage, read> open_weight: array<f32>;
@group(0) @binding(5) var<storage, read> stats: array<f32>;
@group(0) @binding(6) var<storage, read> g: array<f32>;
@group(0) @binding(7) var<storage, read_write> d_img: array<f32>;
@group(0) @binding(8) var<storage, read_write> d_txt: array<f32>;
@group(0) @binding(9) var<uniform> params: Params;

fn value(row: u32, k: u32, from_img: bool) -> f32 {
  return select(txt[row * params.dim + k], img[row * params.dim + k], from_img);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let e = linear_index(gid, groups);
  let per_modality = params.n * params.dim;
  if (e >= 2u * per_modality) { return; }
  let is_img = e < per_modality;
  let j = (e % per_modality) / params.dim;
  let k = e % params.dim;
  // Term slots: 0 ii, 1 tt, 2 it (anchor image), 3 ti (anchor text).
  let within_slot = select(1u, 0u, is_img);
  let anchor_slot = select(3u, 2u, is_img);   // anchor in this modality, positive/negative in the other
  let target_slot = select(2u, 3u, is_img);   // anchor in the other modality, positive/negative in this one
  var acc = 0.0;
  for (var i = 0u; i < params.n; i++) {
    let p = positives[i];
    let q = negatives[i];
    if (p < 0 || q < 0) { continue; }
    let w_within = open_weight[i * 4u + within_slot];
    let w_anchor = open_weight[i * 4u + anchor_slot];
    let w_target = open_weight[i * 4u + target_slot];
    if (i == j) {
      acc += w_within * (value(u32(q), k, is_img) - value(u32(p), k, is_img));
      acc += w_anchor * (value(u32(q), k, !is_img) - value(u32(p), k, !is_img));
    }
    let pull = w_within * value(i, k, is_img) + w_target * value(i, k, !is_img);
    if (u32(p) == j) { acc -= pull; }
    if (u32(q) == j) { acc += pull; }
  }
  let scaled = acc * g[0] * stats[1];
  if (is_img) { d_img[j * params.dim + k] = scaled; } else { d_txt[j * params.dim + k] = scaled; }
}
