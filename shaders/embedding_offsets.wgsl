// Embedding backward, step 2 of 5: offsets = exclusive prefix sum of counts, in one workgroup. Each
// invocation sums a contiguous chunk of ceil(vocab / WG) counts, the chunk totals are scanned in workgroup
// memory, then each invocation writes its chunk's offsets. Any vocabulary size fits; a vocabulary of 30k
// is ~120 counts per invocation, less than one dispatch's overhead.
struct Params { vocab: u32 }
override WG: u32 = 256u;
@group(0) @binding(0) var<storage, read> counts: array<u32>;
@group(0) @binding(1) var<storage, read_write> offsets: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;
var<workgroup> totals: array<u32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  let chunk = (params.vocab + WG - 1u) / WG;
  let first = min(lid * chunk, params.vocab);
  let end = min(first + chunk, params.vocab);
  var own = 0u;
  for (var v = first; v < end; v++) { own += counts[v]; }
  totals[lid] = own;
  workgroupBarrier();
  // Hillis–Steele inclusive scan: log2(WG) rounds, reads and writes separated by barriers.
  for (var stride = 1u; stride < WG; stride <<= 1u) {
    var left = 0u;
    if (lid >= stride) { left = totals[lid - stride]; }
    workgroupBarrier();
    totals[lid] += left;
    workgroupBarrier();
  }
  var running = totals[lid] - own;
  for (var v = first; v < end; v++) {
    offsets[v] = running;
    running += counts[v];
  }
}
