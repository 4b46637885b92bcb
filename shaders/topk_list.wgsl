// Top-k, later passes: the candidates are an earlier pass's survivors, (value, index) lists where index -1 marks an
// empty slot. The sort is lib/topk_block.wgsl.
#include "lib/topk_block"
@group(0) @binding(1) var<storage, read> indices: array<i32>;
fn load(row: u32, col: u32) -> Candidate {
  let index = indices[row * params.m + col];
  if (index < 0) { return empty(); }
  return Candidate(values[row * params.m + col], index);
}
