// MedTrim's four triplet terms over L2-normalised image (v) and text (t) embeddings, cosine distance
// d(a, b) = 1 − a·b, margin α, per anchor i with mined positive p and negative q (−1 = no triplet):
//   ii: η·[v_i·v_q − v_i·v_p + α]₊     tt: η·[t_i·t_q − t_i·t_p + α]₊
//   it: (1−η)·[v_i·t_q − v_i·t_p + α]₊  ti: (1−η)·[t_i·v_q − t_i·v_p + α]₊
// loss = Σ over valid anchors / number of valid anchors (0 when none). One workgroup: anchors are strided
// over its invocations. Saves, per anchor and term, the weight of the term if its hinge is open (else 0),
// and stats = [loss, 1/valid] for the backward kernel.
struct Params { n: u32, dim: u32, margin: f32, eta: f32 }
#include "lib/prologue"
@group(0) @binding(0) var<storage, read> img: array<f32>;
@group(0) @binding(1) var<storage, read> txt: array<f32>;
@group(0) @binding(2) var<storage, read> positives: array<i32>;
@group(0) @binding(3) var<storage, read> negatives: array<i32>;
@group(0) @binding(4) var<storage, read_write> open_weight: array<f32>;
@group(0) @binding(5) var<storage, read_write> stats: array<f32>;
@group(0) @binding(6) var<uniform> params: Params;
#include "lib/workgroup_reduce"

// Row a of the image (a_img) or text embeddings dotted with row b of either.
fn row_dot(a: u32, a_img: bool, b: u32, b_img: bool) -> f32 {
  var s = 0.0;
  for (var k = 0u; k < params.dim; k++) {
    let x = select(txt[a * params.dim + k], img[a * params.dim + k], a_img);
    let y = select(txt[b * params.dim + k], img[b * params.dim + k], b_img);
    s += x * y;
  }
  return s;
}

// Weighted hinge of one term; records the weight in open_weight[] when the hinge is open.
fn term(i: u32, t: u32, anchor_img: bool, other_img: bool, p: u32, q: u32, weight: f32) -> f32 {
  let h = row_dot(i, anchor_img, q, other_img) - row_dot(i, anchor_img, p, other_img) + params.margin;
  let on = h > 0.0;
  open_weight[i * 4u + t] = select(0.0, weight, on);
  return select(0.0, weight * h, on);
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  var total = 0.0;
  var valid = 0.0;
  for (var i = lid; i < params.n; i += WG) {
    let p = positives[i];
    let q = negatives[i];
    if (p < 0 || q < 0) {
      for (var t = 0u; t < 4u; t++) { open_weight[i * 4u + t] = 0.0; }
      continue;
    }
    let within = params.eta;
    let cross = 1.0 - params.eta;
    total += term(i, 0u, true, true, u32(p), u32(q), within);
    total += term(i, 1u, false, false, u32(p), u32(q), within);
    total += term(i, 2u, true, false, u32(p), u32(q), cross);
    total += term(i, 3u, false, true, u32(p), u32(q), cross);
    valid += 1.0;
  }
  let sum = wg_sum(total, lid);
  let count = wg_sum(valid, lid);
  if (lid == 0u) {
    let inv = select(0.0, 1.0 / count, count > 0.0);
    stats[0] = sum * inv;
    stats[1] = inv;
  }
}
