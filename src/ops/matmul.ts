// Batched matrix product with either operand transposed: shaders/matmul.wgsl (register-blocked, vec4 fetches
// where the layout allows, block sizes from matmulTiles) and the float64 reference.
import { record } from '../tensor/tape.js';
import { autotunerOf } from '../gpu/autotune.js';
import { kernelDefs, type BufferView, type Runtime } from '../gpu/runtime.js';
import type { HostTensor } from '../tensor/host.js';
import { Tensor, zeros, type Shape } from '../tensor/tensor.js';
import type { GeluForm } from './activation.js';
import { reduce } from './reduce.js';

export interface MatmulOptions {
  transA?: boolean;
  transB?: boolean;
}

/** How the kernel is laid out: invocations per workgroup, and 4×4 blocks of C per invocation. */
export interface MatmulTiles {
  WG_X: number;
  WG_Y: number;
  ROW_BLOCKS: number;
  COL_BLOCKS: number;
}

/**
 * 8×8 workgroups, each invocation a 16×8 block of C (4×2 blocks of 4×4) when M ≥ 256 and A is not transposed,
 * else 8×8. On the CPU rasterizers every read is costly (a loop over the SIMD lanes on llvmpipe), so a larger block —
 * more multiply-adds per value read — wins once there are rows enough to keep the cores busy; with Aᵀ (weight
 * gradients, long K) and small M, 8×8 stays faster. Chosen by autotuning on llvmpipe (`medtrim bench matmul --quick
 * --autotune --backend gles`: the tuning cache lists each candidate's time, bench/results/suite-gles-llvmpipe.md the
 * result). 64 invocations fit every adapter (compat guarantees 128).
 */
export function matmulTiles(rt: Runtime, m = 0, transA = false): MatmulTiles {
  const wg = rt.maxInvocations >= 64 ? 8 : 4;
  return { WG_X: wg, WG_Y: wg, ROW_BLOCKS: m >= 256 && !transA ? 4 : 2, COL_BLOCKS: 2 };
}

/** Template text that makes `a`/`b` a vec4 binding when every 4-vector the kernel fetches is aligned. */
function fetchTemplate(name: 'a' | 'b', vec4: boolean): Record<string, string> {
  const key = name.toUpperCase();
  return vec4
    ? { [`${key}_ELEMENT`]: 'vec4<f32>', [`${key}_FETCH`]: `${name}[at / 4u]` }
    : {
        [`${key}_ELEMENT`]: 'f32',
        [`${key}_FETCH`]: `vec4<f32>(${name}[at], ${name}[at + 1u], ${name}[at + 2u], ${name}[at + 3u])`,
      };
}

/** matmul by 'aAligned,bAligned,ROW_BLOCKS,COL_BLOCKS' (the source-changing choices; the rest are constants). */
const matmulDef = kernelDefs((variant: string) => {
  const [aAligned, bAligned, rows, cols] = variant.split(',');
  return {
    shader: 'matmul',
    template: {
      ...fetchTemplate('a', aAligned === '1'),
      ...fetchTemplate('b', bAligned === '1'),
      ROW_BLOCKS: rows!,
      COL_BLOCKS: cols!,
    },
    repeat: { R: Number(rows), C: Number(cols) },
  };
});

export interface MatmulDims {
  batch: number;
  batchA: number;
  batchB: number;
  m: number;
  n: number;
  k: number;
  outShape: number[];
}

/** Leading dimensions are flattened into one batch; either operand may have batch 1 (broadcast). */
export function matmulDims(a: Shape, b: Shape, { transA = false, transB = false }: MatmulOptions): MatmulDims {
  if (a.length < 2 || b.length < 2)
    throw new Error(`matmul: operands need rank ≥ 2, got [${a.join(', ')}] and [${b.join(', ')}]`);
  const [ar, ac] = a.slice(-2) as [number, number];
  const [br, bc] = b.slice(-2) as [number, number];
  const [m, ka] = transA ? [ac, ar] : [ar, ac];
  const [kb, n] = transB ? [bc, br] : [br, bc];
  if (ka !== kb)
    throw new Error(`matmul: inner dimensions differ (${ka} vs ${kb}) for [${a.join(', ')}]·[${b.join(', ')}]`);
  const lead = (s: Shape) => s.slice(0, -2);
  const batchA = lead(a).reduce((p, d) => p * d, 1);
  const batchB = lead(b).reduce((p, d) => p * d, 1);
  if (batchA !== batchB && batchA !== 1 && batchB !== 1)
    throw new Error(`matmul: batch sizes ${batchA} and ${batchB} differ`);
  // The operand with the real batch gives the leading dimensions; with equal batches (say both 1), the one
  // with more leading dimensions does, so [17, 16]·[1, 16, 64] keeps its batch of one.
  const outLead =
    batchA !== batchB ? (batchA > batchB ? lead(a) : lead(b)) : lead(a).length >= lead(b).length ? lead(a) : lead(b);
  return { batch: Math.max(batchA, batchB), batchA, batchB, m, n, k: ka, outShape: [...outLead, m, n] };
}

export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  const d = matmulDims(a.shape, b.shape, options);
  return recordMatmul(a, b, options, d, chooseTiles(a, b, options, d));
}

/**
 * The product of x [..., in] and weightᵀ ([out, in]) as one matrix product over rows = the leading extents of x
 * (x is contiguous, so no reshape or copy is needed): → [..., out].
 */
export function linearDims(x: Tensor, weight: Tensor, bias: Tensor | null): MatmulDims {
  const inFeatures = x.shape.at(-1);
  if (x.rank < 1 || weight.rank !== 2 || inFeatures !== weight.shape[1] || (bias && bias.size !== weight.shape[0])) {
    throw new Error(
      `linear: needs x [..., in], weight [out, in] and bias [out], got [${x.shape.join(', ')}], [${weight.shape.join(', ')}]${bias ? `, [${bias.shape.join(', ')}]` : ''}`,
    );
  }
  const n = weight.shape[0]!;
  const m = inFeatures === 0 ? 0 : x.size / inFeatures;
  return { batch: 1, batchA: 1, batchB: 1, m, n, k: inFeatures, outShape: [...x.shape.slice(0, -1), n] };
}

/**
 * x [..., in] · weightᵀ ([out, in]) + bias [out], the bias added as the product is stored (one dispatch); with
 * `gelu`, GELU of that, the value before it going to gelu.pre.
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null, gelu?: GeluEpilogue): Tensor {
  const options = { transB: true };
  const d = linearDims(x, weight, bias);
  if (gelu && gelu.pre.size !== d.m * d.n)
    throw new Error(`linear: gelu.pre [${gelu.pre.shape.join(', ')}] is not the output's size`);
  return recordMatmul(x, weight, options, d, chooseTiles(x, weight, options, d), {
    bias,
    gelu: gelu && { ...gelu, mode: 1 },
  });
}

/** GELU applied in a product's store (shaders/lib/gelu.wgsl): `pre` holds GELU's input. */
export interface GeluEpilogue {
  pre: Tensor;
  form: GeluForm;
}

/** What a product adds or applies as it stores C (shaders/matmul.wgsl), and where C goes. */
interface MatmulExtras {
  bias?: Tensor | null;
  /** Added whole (C's shape): a gradient summed in the store. */
  addend?: Tensor | null;
  /** Mode 1: C = gelu(value), pre = value; mode 2: C = value·gelu'(pre). */
  gelu?: (GeluEpilogue & { mode: 1 | 2 }) | null;
  /** Receives the row sums of op(A) [batch, M] (a bias gradient beside a weight gradient). */
  rowSums?: Tensor | null;
  /** Where C goes instead of a fresh tensor. */
  into?: Tensor | null;
}

/**
 * A batched product's operand, output or bias placed at one stride in a larger buffer: `view` starts at batch
 * 0, and batch p is `batchStride` elements further (0: the same matrix or bias for every batch).
 */
export interface StridedView {
  view: BufferView;
  batchStride: number;
}

/**
 * A product whose B, C and bias (and the row sums of op(A)) are strided views rather than dense tensors: batch p
 * computes C_p = op(A_p)·op(B_p) + bias_p with the float operations, in the same order, of the dense product of
 * those matrices (matmul.wgsl differs only in where it reads and writes).
 */
export interface StridedProduct {
  /** Dense, with 1 batch (broadcast) or d.batch. */
  a: Tensor;
  b: StridedView;
  c: StridedView;
  bias?: StridedView | null;
  /** The row sums of op(A), written through C's binding at element `offset` of it, `batchStride` apart. */
  rowSumsInC?: { offset: number; batchStride: number } | null;
}

/** What autotuning (src/gpu/autotune.ts) tries: 8×8 workgroups with 1–4 blocks each way, and other workgroup shapes. */
export function matmulTileCandidates(rt: Runtime): MatmulTiles[] {
  const layouts: [number, number, number, number][] = [
    [8, 8, 2, 2],
    [8, 8, 4, 2],
    [8, 8, 2, 4],
    [8, 8, 4, 4],
    [8, 8, 1, 1],
    [8, 8, 2, 1],
    [8, 8, 1, 2],
    [4, 4, 2, 2],
    [16, 4, 1, 2],
    [4, 16, 2, 1],
    [16, 16, 1, 1],
  ];
  return layouts
    .filter(([x, y]) => x * y <= rt.maxInvocations)
    .map(([WG_X, WG_Y, ROW_BLOCKS, COL_BLOCKS]) => ({ WG_X, WG_Y, ROW_BLOCKS, COL_BLOCKS }));
}

/** The default tiles, or with autotuning on, the tuned ones of this product's shape family (sizes rounded up to powers of 2). */
export function chooseTiles(a: Tensor, b: Tensor, options: MatmulOptions, d: MatmulDims): MatmulTiles {
  const rt = a.runtime;
  const tuner = autotunerOf(rt);
  const fallback = matmulTiles(rt, d.m, !!options.transA);
  if (!tuner || d.k === 0) return fallback;
  const pow2 = (x: number) => 2 ** Math.ceil(Math.log2(Math.max(1, x)));
  const { transA = false, transB = false } = options;
  const aligned = [(transA ? d.m : d.k) % 4, (transB ? d.k : d.n) % 4, d.k % 4].map((r) => (r === 0 ? 1 : 0)).join('');
  const family = `matmul ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'} aligned ${aligned} m${pow2(d.m)} n${pow2(d.n)} k${pow2(d.k)} batch ${pow2(d.batch)}`;
  const [aShape, bShape] = [[...a.shape], [...b.shape]];
  const trial = () => {
    const [x, y] = [zeros(rt, aShape).keep(), zeros(rt, bShape).keep()];
    return {
      run: (tiles: MatmulTiles) => recordMatmul(x, y, options, d, tiles).dispose(),
      dispose: () => [x, y].forEach((t) => t.dispose()),
    };
  };
  return tuner.choose(family, matmulTileCandidates(rt), trial) ?? fallback;
}

function recordMatmul(
  a: Tensor,
  b: Tensor,
  options: MatmulOptions,
  d: MatmulDims,
  tiles: MatmulTiles,
  { bias, addend, gelu, into, rowSums }: MatmulExtras = {},
): Tensor {
  const rt = a.runtime;
  if (rowSums && (gelu || rowSums.size !== d.batch * d.m))
    throw new Error(`matmul: row sums [${rowSums.shape.join(', ')}] given for a product of [${d.outShape.join(', ')}]`);
  if (into && into.size !== d.batch * d.m * d.n)
    throw new Error(`matmul: output [${into.shape.join(', ')}] given for a product of [${d.outShape.join(', ')}]`);
  const out = into ?? new Tensor(rt, d.outShape);
  if (addend && addend.size !== d.batch * d.m * d.n)
    throw new Error(`matmul: addend [${addend.shape.join(', ')}] given for a product of [${d.outShape.join(', ')}]`);
  if (bias && addend) throw new Error('matmul: a bias and an addend cannot both be added');
  if (d.k === 0 && !bias && !addend && !gelu && !rowSums) {
    rt.clear(out);
    return out;
  }
  dispatchMatmul(rt, options, d, tiles, {
    a,
    b,
    c: out,
    bias: bias ?? addend ?? b,
    aux: gelu?.pre ?? rowSums ?? rt.placeholder,
    strides: {
      a: d.batchA > 1 ? d.m * d.k : 0,
      b: d.batchB > 1 ? d.k * d.n : 0,
      c: d.m * d.n,
      bias: 0,
      aux: d.m,
      auxOffset: 0,
    },
    addsBias: !!bias,
    addsAddend: !!addend,
    epilogue: rowSums ? 3 : (gelu?.mode ?? 0),
    geluTanh: gelu?.form === 'tanh',
    rowSumsInC: false,
  });
  return out;
}

/**
 * The batched product of a StridedProduct (see there) for dims d (d.batchB is ignored: B's stride says it). Each
 * view must start at a bindable offset; rows of C must not overlap the row sums.
 */
export function stridedMatmul(options: MatmulOptions, d: MatmulDims, tiles: MatmulTiles, p: StridedProduct): void {
  const rt = p.a.runtime;
  if (p.a.size !== d.batchA * d.m * d.k || (d.batchA !== 1 && d.batchA !== d.batch))
    throw new Error(`matmul: A [${p.a.shape.join(', ')}] given for a strided product of [${d.outShape.join(', ')}]`);
  if (d.k === 0) throw new Error('matmul: a strided product needs K > 0');
  dispatchMatmul(rt, options, d, tiles, {
    a: p.a,
    b: p.b.view,
    c: p.c.view,
    bias: p.bias?.view ?? p.b.view,
    aux: rt.placeholder,
    strides: {
      a: d.batchA > 1 ? d.m * d.k : 0,
      b: p.b.batchStride,
      c: p.c.batchStride,
      bias: p.bias?.batchStride ?? 0,
      aux: p.rowSumsInC?.batchStride ?? d.m,
      auxOffset: p.rowSumsInC?.offset ?? 0,
    },
    addsBias: !!p.bias,
    addsAddend: false,
    epilogue: p.rowSumsInC ? 3 : 0,
    geluTanh: false,
    rowSumsInC: !!p.rowSumsInC,
  });
}

/** What one dispatch of matmul.wgsl binds, its strides and offsets (elements, see its Params) and its flags. */
interface MatmulBinding {
  a: BufferView;
  b: BufferView;
  c: BufferView;
  bias: BufferView;
  aux: BufferView;
  strides: { a: number; b: number; c: number; bias: number; aux: number; auxOffset: number };
  addsBias: boolean;
  addsAddend: boolean;
  epilogue: number;
  geluTanh: boolean;
  rowSumsInC: boolean;
}

function dispatchMatmul(
  rt: Runtime,
  options: MatmulOptions,
  d: MatmulDims,
  tiles: MatmulTiles,
  m: MatmulBinding,
): void {
  const transA = !!options.transA;
  const transB = !!options.transB;
  // The axis each operand is fetched along: its contiguous one; a 4-vector fetch also needs batch starts at a
  // multiple of 4.
  const aAligned = (transA ? d.m : d.k) % 4 === 0 && m.strides.a % 4 === 0;
  const bAligned = (transB ? d.k : d.n) % 4 === 0 && m.strides.b % 4 === 0;
  const kernel = rt.kernelOf(
    matmulDef(`${aAligned ? 1 : 0},${bAligned ? 1 : 0},${tiles.ROW_BLOCKS},${tiles.COL_BLOCKS}`),
    {
      WG_X: tiles.WG_X,
      WG_Y: tiles.WG_Y,
      TRANS_A: transA ? 1 : 0,
      TRANS_B: transB ? 1 : 0,
      K_ALIGNED: d.k % 4 === 0 ? 1 : 0,
      BIAS: m.addsBias ? 1 : 0,
      ADDEND: m.addsAddend ? 1 : 0,
      EPILOGUE: m.epilogue,
      ROW_SUMS_IN_C: m.rowSumsInC ? 1 : 0,
      GELU_TANH: m.geluTanh ? 1 : 0,
    },
  );
  const s = m.strides;
  rt.dispatch(
    kernel,
    { a: m.a, b: m.b, c: m.c, bias: m.bias, aux: m.aux },
    {
      m: d.m,
      n: d.n,
      k: d.k,
      a_batch: s.a,
      b_batch: s.b,
      c_batch: s.c,
      bias_batch: s.bias,
      aux_batch: s.aux,
      aux_offset: s.auxOffset,
    },
    [
      Math.ceil(d.n / (tiles.WG_X * 4 * tiles.COL_BLOCKS)),
      Math.ceil(d.m / (tiles.WG_Y * 4 * tiles.ROW_BLOCKS)),
      d.batch,
    ],
  );
}

export function matmulRef(a: HostTensor, b: HostTensor, options: MatmulOptions = {}): HostTensor {
  const d = matmulDims(a.shape, b.shape, options);
  const { m, n, k } = d;
  const data = new Float64Array(d.batch * m * n);
  for (let p = 0; p < d.batch; p++) {
    const aBase = d.batchA > 1 ? p * m * k : 0;
    const bBase = d.batchB > 1 ? p * k * n : 0;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let q = 0; q < k; q++) {
          const av = a.data[aBase + (options.transA ? q * m + i : i * k + q)]!;
          const bv = b.data[bBase + (options.transB ? j * k + q : q * n + j)]!;
          acc += av * bv;
        }
        data[(p * m + i) * n + j] = acc;
      }
  }
  return { shape: d.outShape, data };
}

/** Float64 reference of linear: x·weightᵀ + bias. */
export function linearRef(x: HostTensor, weight: HostTensor, bias: HostTensor): HostTensor {
  const product = matmulRef(x, weight, { transB: true });
  const n = bias.data.length;
  return { shape: product.shape, data: product.data.map((v, i) => v + bias.data[i % n]!) };
}

// ---- Backward rule (autograd): C = op(A)·op(B) gives dop(A) = dC·op(B)ᵀ and dop(B) = op(A)ᵀ·dC, written
// with the kernel's transpose flags so no operand is transposed in memory. A broadcast batch is summed back
// by autograd.

/**
 * Differentiable linear layer, x [..., in] · weightᵀ + bias (bias may be null): the gradients of matmul with
 * transB and of the broadcast bias add it fuses (the bias gradient is the sum of the rows of the output
 * gradient). The leading extents of x are rows of each product, so neither direction reshapes or copies.
 */
export function linearOp(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  const out = linear(x, weight, bias);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record('linear', out, inputs, (g, { into, takePending }) => {
    // x's gradient from its other uses is added in the store.
    const pending = x.requiresGrad ? takePending(0) : null;
    const need = { x: x.requiresGrad, weight: weight.requiresGrad, bias: !!bias?.requiresGrad };
    const { dx, dweight, dbias } = linearBackward(g, x, weight, bias, need, {
      pending,
      weightInto: into[1],
      biasInto: into[2],
    });
    return bias ? [dx, dweight, dbias] : [dx, dweight];
  });
}

/**
 * The gradients of y = x·weightᵀ + bias for dy (those `need` asks for): dx [..., in] = dy·weight
 * (plus `pending` in the store; with `geluOfX`, times gelu'(pre) where x = gelu(pre)), dweight = dyᵀ·x and
 * dbias = Σ rows of dy (into the given tensors when given). With both weight and bias, dbias comes out of
 * dweight's product: the row sums of dyᵀ, summed one row of dy at a time — the order of reduce's serial kernel,
 * so the same bits wherever reduce would choose that kernel (up to 4096 rows of ≥ 32 features; longer sums
 * reduce would fold as a tree, which rounds differently).
 */
export function linearBackward(
  dy: Tensor,
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  need: { x: boolean; weight: boolean; bias: boolean },
  t: { pending?: Tensor | null; geluOfX?: GeluEpilogue; weightInto?: Tensor | null; biasInto?: Tensor | null },
): { dx: Tensor | null; dweight: Tensor | null; dbias: Tensor | null } {
  const { m, n, k } = linearDims(x, weight, bias);
  const dxDims: MatmulDims = { batch: 1, batchA: 1, batchB: 1, m, n: k, k: n, outShape: [...x.shape] };
  const dwDims: MatmulDims = { batch: 1, batchA: 1, batchB: 1, m: n, n: k, k: m, outShape: [n, k] };
  const gelu = t.geluOfX ? { ...t.geluOfX, mode: 2 as const } : null;
  const biasBeside = !!bias && need.bias && need.weight;
  const dbias = biasBeside ? (t.biasInto ?? new Tensor(dy.runtime, [n])) : null;
  return {
    dx: need.x
      ? recordMatmul(dy, weight, {}, dxDims, chooseTiles(dy, weight, {}, dxDims), { addend: t.pending, gelu })
      : null,
    dweight: need.weight
      ? recordMatmul(dy, x, { transA: true }, dwDims, chooseTiles(dy, x, { transA: true }, dwDims), {
          into: t.weightInto,
          rowSums: dbias,
        })
      : null,
    dbias:
      dbias ??
      (bias && need.bias ? reduce('sum', dy.rank === 2 ? dy : dy.reshape([m, n]), 0, false, t.biasInto) : null),
  };
}

/** Differentiable matmul. */
export function matmulOp(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  const { transA = false, transB = false } = options;
  const out = matmul(a, b, options);
  return record('matmul', out, [a, b], (g) => [
    a.requiresGrad
      ? transA
        ? matmul(b, g, { transA: transB, transB: true })
        : matmul(g, b, { transB: !transB })
      : null,
    b.requiresGrad
      ? transB
        ? matmul(g, a, { transA: true, transB: transA })
        : matmul(a, g, { transA: !transA })
      : null,
  ]);
}
