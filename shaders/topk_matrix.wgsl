// Top-k, first pass: the candidates are the raw [rows, m] score matrix, index = column, and exclude[row] (-1: none)
// the column a row leaves out. The sort is lib/topk_block.wgsl.
#include "lib/topk_block"
@group(0) @binding(1) var<storage, read> exclude: array<i32>;
fn load(row: u32, col: u32) -> Candidate {
  if (i32(col) == exclude[row]) { return empty(); }
  return Candidate(values[row * params.m + col], i32(col));
}
