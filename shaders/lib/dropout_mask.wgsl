// The dropout mask, shared by every kernel that drops (included, not a kernel itself): element i is kept when
// hash(seed, i) ≥ threshold (threshold = p·2³²). A pure function of (seed, i) in integer arithmetic, so a
// backward pass regenerates it exactly, and every adapter and run draws the same one.

// murmur3's 32-bit finaliser: a bijective avalanche mix.
fn fmix32(h0: u32) -> u32 {
  var h = h0;
  h ^= h >> 16u;
  h *= 0x85ebca6bu;
  h ^= h >> 13u;
  h *= 0xc2b2ae35u;
  h ^= h >> 16u;
  return h;
}

fn dropout_keeps(i: u32, seed: u32, threshold: u32) -> bool {
  return fmix32(fmix32(i + 0x9e3779b9u) ^ seed) >= threshold;
}
