// The MedTrim score S(a, r) from packed entity encodings, in exactly the f32 order of operations that
// src/mining/encode.ts documents (and scoreMatrixFromEncoding follows), so GPU and CPU agree bit for bit.
// Packed sample layout (see packEncoding in src/mining/score-gpu.ts), `stride` u32 words per sample:
//   [disease bits][adjective bits: num_classes × adj_words][direction bits: num_classes × dir_words]
// The including kernel declares `params` with num_classes, adj_words, dir_words, g0, g1, g2.
@group(0) @binding(0) var<storage, read> anchors: array<u32>;
@group(0) @binding(1) var<storage, read> candidates: array<u32>;
@group(0) @binding(2) var<storage, read> recip: array<f32>; // recip[k] = f32(1/k): WGSL division is not exact

fn sample_stride() -> u32 { return 1u + params.num_classes * (params.adj_words + params.dir_words); }

fn ratio(inter: u32, uni: u32) -> f32 {
  if (uni == 0u) { return 1.0; }
  return f32(inter) * recip[uni];
}

fn descriptor_iou(a_base: u32, r_base: u32, words: u32) -> f32 {
  var inter = 0u;
  var uni = 0u;
  for (var w = 0u; w < words; w++) {
    let x = anchors[a_base + w];
    let y = candidates[r_base + w];
    inter += countOneBits(x & y);
    uni += countOneBits(x | y);
  }
  return ratio(inter, uni);
}

fn pair_score(a: u32, r: u32) -> f32 {
  let stride = sample_stride();
  let ab = a * stride;
  let rb = r * stride;
  let da = anchors[ab];
  let dr = candidates[rb];
  let common_classes = da & dr;
  let jaccard = ratio(countOneBits(common_classes), countOneBits(da | dr));
  var adj_sum = 0.0;
  var dir_sum = 0.0;
  let dir_start = 1u + params.num_classes * params.adj_words;
  // Visit only the shared classes, lowest first (the CPU sums in ascending class order too).
  var rest = common_classes;
  while (rest != 0u) {
    let c = countTrailingZeros(rest);
    rest &= rest - 1u;
    let adj_off = 1u + c * params.adj_words;
    let dir_off = dir_start + c * params.dir_words;
    adj_sum = adj_sum + descriptor_iou(ab + adj_off, rb + adj_off, params.adj_words);
    dir_sum = dir_sum + descriptor_iou(ab + dir_off, rb + dir_off, params.dir_words);
  }
  let na = countOneBits(da);
  var adj_mean = jaccard;
  var dir_mean = jaccard;
  if (na > 0u) {
    adj_mean = adj_sum * recip[na];
    dir_mean = dir_sum * recip[na];
  }
  let disease_term = params.g0 * jaccard;
  let adjective_term = params.g1 * adj_mean;
  let direction_term = params.g2 * dir_mean;
  return (disease_term + adjective_term) + direction_term;
}
