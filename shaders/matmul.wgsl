// Batched C[b] = op(A[b]) · op(B[b]), op = identity or transpose (TRANS_A / TRANS_B), any M, N, K.
// A batch extent of 1 on either operand broadcasts it over the batch.
//
// Written for the CPU rasterizers we run on (llvmpipe, SwiftShader), where invocations are SIMD lanes and
// workgroup memory is ordinary memory behind barriers: no workgroup memory, no barriers; the CPU caches do
// what tiles do on a GPU. Each invocation walks K in steps of 4, fetching 4×4 blocks of A and B as four
// contiguous 4-vectors each (along whichever axis the operand's layout makes contiguous, transposed in
// registers), and keeps a (4·ROW_BLOCKS)×(4·COL_BLOCKS) block of C in mat4x4 accumulators.
// Templates: {{A_ELEMENT}}/{{B_ELEMENT}} is vec4<f32> when every fetched 4-vector of that operand is aligned
// (the operand's contiguous axis is a multiple of 4), else f32; {{A_FETCH}}/{{B_FETCH}} reads the 4-vector
// starting at element `at` accordingly. One fetch of a vec4 binding costs one bounds clamp instead of four.
// Rows/columns past M/N are computed from whatever robust buffer access returns and never stored; only the
// K tail must read as zero, and K_ALIGNED (K % 4 == 0) drops those checks.
// BIAS adds bias[col] to every stored element (a linear layer's bias, fused: no separate add dispatch); ADDEND
// adds a whole matrix of C's shape read from the same binding (a gradient summed in the store); without either,
// `bias` is bound to any read-only buffer and never read. EPILOGUE 1 and 2 apply GELU (lib/gelu.wgsl) last: 1 stores
// gelu(value) and the value before it in `aux` (what the gradient needs), 2 stores value·gelu'(aux) (the gradient
// through a GELU whose input is `aux`). EPILOGUE 3 also writes the row sums of op(A) to aux[batch·M + row]
// (a linear layer's bias gradient beside its weight gradient), each summed one K element at a time in K order,
// as reduce_serial.wgsl sums. With 0, `aux` is bound to a placeholder and never touched.
// Batches sit a_batch, b_batch, c_batch elements apart in A, B and C (0: one matrix for every batch, a broadcast);
// the bias bias_batch apart (0: one bias for all batches); the row sums at aux_offset + batch·aux_batch. Dense
// operands have a_batch = M·K, b_batch = K·N, c_batch = M·N, aux_batch = M; strided ones let a batch gather
// matrices laid out at one stride in a larger buffer (the Q, K, V projections' weights in the parameter arena).
// ADDEND and EPILOGUE 1/2 read and write at C's index. ROW_SUMS_IN_C writes the row sums into `c` instead of
// `aux`: WebGPU forbids two writable bindings of overlapping ranges of one buffer, so row sums interleaved with
// C's matrices (bias gradients between weight gradients in the gradient arena) go through C's binding.
struct Params {
  m: u32,
  n: u32,
  k: u32,
  a_batch: u32,
  b_batch: u32,
  c_batch: u32,
  bias_batch: u32,
  aux_batch: u32,
  aux_offset: u32,
}
override WG_X: u32 = 8u;
override WG_Y: u32 = 8u;
override TRANS_A: bool = false;
override TRANS_B: bool = false;
override K_ALIGNED: bool = false;
override BIAS: bool = false;
override ADDEND: bool = false;
override EPILOGUE: u32 = 0u;
override ROW_SUMS_IN_C: bool = false;
const ROW_BLOCKS = {{ROW_BLOCKS}}u;
const COL_BLOCKS = {{COL_BLOCKS}}u;

@group(0) @binding(0) var<storage, read> a: array<{{A_ELEMENT}}>;
@group(0) @binding(1) var<storage, read> b: array<{{B_ELEMENT}}>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> aux: array<f32>;
#include "lib/gelu"

const LANE = vec4<u32>(0u, 1u, 2u, 3u);

// Elements at … at+3 of a; those at offset ≥ valid (counted along K) read as 0.
fn a_vec(at: u32, valid: u32) -> vec4<f32> {
  let v = {{A_FETCH}};
  if (K_ALIGNED) { return v; }
  return select(vec4<f32>(0.0), v, LANE < vec4<u32>(valid));
}

fn b_vec(at: u32, valid: u32) -> vec4<f32> {
  let v = {{B_FETCH}};
  if (K_ALIGNED) { return v; }
  return select(vec4<f32>(0.0), v, LANE < vec4<u32>(valid));
}

// Columns are rows row…row+3 of op(A), each over k…k+3.
fn a_block(base: u32, row: u32, k: u32) -> mat4x4<f32> {
  let m = params.m;
  let kk = params.k;
  if (TRANS_A) {
    // Stored [K, M]: contiguous along rows; a whole vector is zero past K.
    var cols: array<vec4<f32>, 4>;
    for (var j = 0u; j < 4u; j++) { cols[j] = a_vec(base + (k + j) * m + row, select(0u, 4u, k + j < kk)); }
    return transpose(mat4x4<f32>(cols[0], cols[1], cols[2], cols[3]));
  }
  let at = base + row * kk + k;
  return mat4x4<f32>(a_vec(at, kk - k), a_vec(at + kk, kk - k), a_vec(at + 2u * kk, kk - k), a_vec(at + 3u * kk, kk - k));
}

// Columns are rows k…k+3 of op(B), each over col…col+3.
fn b_block(base: u32, k: u32, col: u32) -> mat4x4<f32> {
  let n = params.n;
  let kk = params.k;
  if (TRANS_B) {
    // Stored [N, K]: contiguous along K.
    let at = base + col * kk + k;
    return transpose(mat4x4<f32>(b_vec(at, kk - k), b_vec(at + kk, kk - k), b_vec(at + 2u * kk, kk - k), b_vec(at + 3u * kk, kk - k)));
  }
  var rows: array<vec4<f32>, 4>;
  for (var j = 0u; j < 4u; j++) { rows[j] = b_vec(base + (k + j) * n + col, select(0u, 4u, k + j < kk)); }
  return mat4x4<f32>(rows[0], rows[1], rows[2], rows[3]);
}

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let batch = gid.z;
  let row0 = gid.y * 4u * ROW_BLOCKS;
  let col0 = gid.x * 4u * COL_BLOCKS;
  let a_base = batch * params.a_batch;
  let b_base = batch * params.b_batch;
  @each(R)
  @each(C) var acc$R_$C = mat4x4<f32>();
  var sums$R = vec4<f32>();
  @end
  for (var k = 0u; k < params.k; k += 4u) {
    @each(C) let bm$C = b_block(b_base, k, col0 + 4u * $C);
    @each(R)
    let am$R = a_block(a_base, row0 + 4u * $R, k);
    @each(C) acc$R_$C += bm$C * am$R;
    if (EPILOGUE == 3u) { add_row_sums(&sums$R, am$R); }
    @end
  }
  let c_base = batch * params.c_batch;
  let bias_base = batch * params.bias_batch;
  @each(R)
  @each(C) store_block(acc$R_$C, c_base, bias_base, row0 + 4u * $R, col0 + 4u * $C);
  @end
  if (EPILOGUE == 3u && gid.x == 0u) {
    @each(R) store_row_sums(sums$R, params.aux_offset + batch * params.aux_batch, row0 + 4u * $R);
  }
}

// Adds the 4 K elements of each of the block's 4 rows (column i of am is row i over k…k+3) one at a time.
fn add_row_sums(sums: ptr<function, vec4<f32>>, am: mat4x4<f32>) {
  let by_k = transpose(am);
  *sums = *sums + by_k[0];
  *sums = *sums + by_k[1];
  *sums = *sums + by_k[2];
  *sums = *sums + by_k[3];
}

fn store_row_sums(sums: vec4<f32>, base: u32, row0: u32) {
  for (var i = 0u; i < 4u; i++) {
    if (row0 + i < params.m) {
      if (ROW_SUMS_IN_C) {
        c[base + row0 + i] = sums[i];
      } else {
        aux[base + row0 + i] = sums[i];
      }
    }
  }
}

fn store_block(acc: mat4x4<f32>, c_base: u32, bias_base: u32, row0: u32, col0: u32) {
  for (var i = 0u; i < 4u; i++) {
    let row = row0 + i;
    if (row >= params.m) { break; }
    for (var j = 0u; j < 4u; j++) {
      let col = col0 + j;
      if (col < params.n) {
        var value = acc[i][j];
        if (BIAS) { value += bias[bias_base + col]; }
        let at = c_base + row * params.n + col;
        if (ADDEND) { value += bias[at]; }
        if (EPILOGUE == 1u) {
          aux[at] = value;
          value = gelu(value);
        } else if (EPILOGUE == 2u) {
          value *= gelu_deriv(aux[at]);
        }
        c[at] = value;
      }
    }
  }
}
