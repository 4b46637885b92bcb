// Per-row top-k of one block of candidates: one workgroup loads BLOCK candidates of a row into workgroup
// memory, bitonic-sorts them best-first (larger value first, ties → lower index first) and writes the first
// k. Rows are split into params.blocks blocks; the launcher re-runs this kernel on the k·blocks survivors
// until one block per row is left. The including kernel declares binding 1 and `fn load(row, col)`:
// topk_matrix.wgsl reads the raw [rows, m] matrix (index = column, one column per row excluded), topk_list.wgsl an
// earlier pass's (value, index) lists, where index -1 marks an empty slot.
struct Params { rows: u32, m: u32, blocks: u32, k: u32 }
#include "lib/prologue"
// WG: a power of two, at most BLOCK / 2.
override BLOCK: u32 = 128u; // a power of two
@group(0) @binding(0) var<storage, read> values: array<f32>;
@group(0) @binding(2) var<storage, read_write> out_values: array<f32>;
@group(0) @binding(3) var<storage, read_write> out_indices: array<i32>;
@group(0) @binding(4) var<uniform> params: Params;
var<workgroup> sorted_values: array<f32, BLOCK>;
var<workgroup> sorted_indices: array<i32, BLOCK>;

const LOWEST = -3.4028234663852886e38;
// Empty slots sort after every real candidate, a real LOWEST included, because of this index.
const EMPTY_INDEX = 2147483647;

struct Candidate { value: f32, index: i32 }

fn empty() -> Candidate { return Candidate(LOWEST, EMPTY_INDEX); }

fn before(a: Candidate, b: Candidate) -> bool {
  return a.value > b.value || (a.value == b.value && a.index < b.index);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let group = linear_workgroup(wid, groups);
  let row = group / params.blocks;
  let first = (group % params.blocks) * BLOCK;
  let valid = row < params.rows;
  for (var s = lid; s < BLOCK; s += WG) {
    var c = empty();
    if (valid && first + s < params.m) { c = load(row, first + s); }
    sorted_values[s] = c.value;
    sorted_indices[s] = c.index;
  }
  workgroupBarrier();
  for (var size = 2u; size <= BLOCK; size <<= 1u) {
    for (var stride = size >> 1u; stride > 0u; stride >>= 1u) {
      for (var p = lid; p < BLOCK / 2u; p += WG) {
        let lo = 2u * p - (p & (stride - 1u));
        let hi = lo + stride;
        let a = Candidate(sorted_values[lo], sorted_indices[lo]);
        let b = Candidate(sorted_values[hi], sorted_indices[hi]);
        // Sub-sequences alternate direction so that each merge step sees a bitonic sequence;
        // the last (size == BLOCK) is best-first.
        if (before(b, a) == ((lo & size) == 0u)) {
          sorted_values[lo] = b.value;
          sorted_indices[lo] = b.index;
          sorted_values[hi] = a.value;
          sorted_indices[hi] = a.index;
        }
      }
      workgroupBarrier();
    }
  }
  if (valid) {
    for (var s = lid; s < params.k; s += WG) {
      let index = sorted_indices[s];
      let at = group * params.k + s;
      out_values[at] = sorted_values[s];
      out_indices[at] = select(index, -1, index == EMPTY_INDEX);
    }
  }
}
