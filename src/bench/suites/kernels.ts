// Kernel suites: matmul, fused attention, layer norm, softmax, the MedTrim triplet loss and AdamW, each against
// tfjs on the same adapter where tfjs has the same computation.
import { backward, layerNorm, requireGrad, softmax } from '../../autograd/index.js';
import { attentionBackward, attentionForward } from '../../ops/attention.js';
import { matmul, matmulDims, type MatmulOptions } from '../../ops/matmul.js';
import { AdamW } from '../../ops/optim.js';
import { medtrimTripletLoss } from '../../ops/triplet.js';
import { type Tensor, tensorFrom } from '../../tensor/tensor.js';
import { maxAbsDiff, randomFloats, randomTriplets } from '../random.js';
import type { BenchCase, PreparedCase, Suite, SuiteContext, Tf } from '../types.js';

const size = (shape: readonly number[]) => shape.reduce((p, d) => p * d, 1);

/** A GPU tensor and its tfjs twin (null without tfjs) holding the same random floats. */
function twin(
  ctx: SuiteContext,
  shape: number[],
  seed: number,
): { ours: Tensor; theirs: import('@tensorflow/tfjs').Tensor | null } {
  const data = randomFloats(size(shape), seed);
  return { ours: tensorFrom(ctx.rt, data, shape).keep(), theirs: ctx.tf ? ctx.tf.tf.tensor(data, shape) : null };
}

function disposeAll(list: readonly { ours: Tensor; theirs: { dispose(): void } | null }[]): void {
  for (const t of list) {
    t.ours.dispose();
    t.theirs?.dispose();
  }
}

/** Our output's values against tfjs's for the same inputs (one call each, outside the timed runs). */
async function compareOnce(ours: () => Tensor[], theirs: () => import('@tensorflow/tfjs').Tensor[]): Promise<number> {
  const mine = ours();
  const other = theirs();
  let worst = 0;
  for (let i = 0; i < mine.length; i++)
    worst = Math.max(worst, maxAbsDiff(await mine[i]!.read(), (await other[i]!.data()) as Float32Array));
  for (const t of [...mine, ...other]) t.dispose();
  return worst;
}

// ---- matmul

interface MatmulShape {
  label: string;
  a: number[];
  b: number[];
  options?: MatmulOptions;
}

const square = (n: number): MatmulShape => ({ label: `${n}² square`, a: [n, n], b: [n, n] });
/** Transformer shapes of the tiny/small presets at batch 32: linear layers (x·Wᵀ) and a weight gradient (dyᵀ·x). */
const MATMUL_QUICK: MatmulShape[] = [
  square(128),
  square(256),
  { label: 'ViT-tiny MLP up', a: [544, 64], b: [256, 64], options: { transB: true } },
  { label: 'BERT-tiny MLP down', a: [1536, 256], b: [64, 256], options: { transB: true } },
  { label: 'BERT-tiny MLP-down dW', a: [1536, 64], b: [1536, 256], options: { transA: true } },
  { label: 'attention scores (12 heads)', a: [12, 64, 64], b: [12, 64, 64], options: { transB: true } },
];
const MATMUL_FULL: MatmulShape[] = [
  ...MATMUL_QUICK,
  square(512),
  square(1024),
  { label: 'ViT-small QKV', a: [2080, 128], b: [128, 128], options: { transB: true } },
  { label: 'BERT-small MLP up', a: [4096, 128], b: [512, 128], options: { transB: true } },
  { label: 'BERT-small MLP-up dW', a: [4096, 512], b: [4096, 128], options: { transA: true } },
  { label: 'ViT-base scores', a: [12, 197, 64], b: [12, 197, 64], options: { transB: true } },
];

function matmulCase(ctx: SuiteContext, s: MatmulShape, seed: number): BenchCase {
  const d = matmulDims(s.a, s.b, s.options ?? {});
  const t = (shape: number[], trans?: boolean) => shape.join('×') + (trans ? 'ᵀ' : '');
  return {
    name: `${s.label} ${t(s.a, s.options?.transA)}·${t(s.b, s.options?.transB)}`,
    unit: 'GFLOP/s',
    work: 2 * d.batch * d.m * d.n * d.k,
    async prepare() {
      const a = twin(ctx, s.a, seed);
      const b = twin(ctx, s.b, seed + 1);
      const transA = !!s.options?.transA;
      const transB = !!s.options?.transB;
      const ours = () => matmul(a.ours, b.ours, s.options);
      const prepared: PreparedCase = { ours: () => void ours(), dispose: () => disposeAll([a, b]) };
      if (ctx.tf && a.theirs && b.theirs) {
        const tf = ctx.tf.tf;
        const theirs = () => tf.matMul(a.theirs!, b.theirs!, transA, transB);
        prepared.peer = { kind: 'tfjs', record: () => void theirs() };
        prepared.maxAbsDiff = () =>
          compareOnce(
            () => [ours()],
            () => [theirs()],
          );
      }
      return prepared;
    },
  };
}

export const matmulSuite: Suite = {
  name: 'matmul',
  model: 'C = op(A)·op(B), 2·batch·M·N·K FLOP per product.',
  cases: (ctx) => (ctx.quick ? MATMUL_QUICK : MATMUL_FULL).map((s, i) => matmulCase(ctx, s, 100 + 2 * i)),
};

// ---- attention

interface AttentionShape {
  batch: number;
  heads: number;
  seq: number;
  headDim: number;
}

const ATTENTION_QUICK: AttentionShape[] = [
  { batch: 2, heads: 2, seq: 64, headDim: 64 },
  { batch: 1, heads: 2, seq: 128, headDim: 32 },
  { batch: 1, heads: 2, seq: 256, headDim: 64 },
];
const ATTENTION_FULL: AttentionShape[] = [64, 128, 256, 512].flatMap((seq) =>
  [32, 64].map((headDim) => ({ batch: 2, heads: 4, seq, headDim })),
);

/** softmax(q·kᵀ·scale)·v from tf ops, [batch, heads, seq, headDim]. */
function tfAttention(
  tf: Tf,
  q: import('@tensorflow/tfjs').Tensor,
  k: import('@tensorflow/tfjs').Tensor,
  v: import('@tensorflow/tfjs').Tensor,
  scale: number,
) {
  return tf.matMul(tf.softmax(tf.mul(tf.matMul(q, k, false, true), scale)), v);
}

function attentionCase(ctx: SuiteContext, s: AttentionShape, withBackward: boolean, seed: number): BenchCase {
  const shape = [s.batch, s.heads, s.seq, s.headDim];
  const forwardFlop = 4 * s.batch * s.heads * s.seq * s.seq * s.headDim;
  return {
    name: `${withBackward ? 'forward+backward' : 'forward'} b${s.batch} h${s.heads} seq ${s.seq} d${s.headDim}`,
    unit: 'GFLOP/s',
    work: withBackward ? 3 * forwardFlop : forwardFlop,
    async prepare() {
      const [q, k, v, dOut] = [0, 1, 2, 3].map((i) => twin(ctx, shape, seed + i)) as [
        ReturnType<typeof twin>,
        ReturnType<typeof twin>,
        ReturnType<typeof twin>,
        ReturnType<typeof twin>,
      ];
      const ours = (): Tensor[] => {
        const { out, lse } = attentionForward(q.ours, k.ours, v.ours);
        if (!withBackward) return [out, lse];
        const { dq, dk, dv } = attentionBackward(q.ours, k.ours, v.ours, out, lse, dOut.ours);
        return [dq, dk, dv, out, lse];
      };
      const prepared: PreparedCase = { ours: () => void ours(), dispose: () => disposeAll([q, k, v, dOut]) };
      if (ctx.tf) {
        const tf = ctx.tf.tf;
        const scale = 1 / Math.sqrt(s.headDim);
        const inputs = [q.theirs!, k.theirs!, v.theirs!];
        const theirs = () =>
          withBackward
            ? tf.grads((a, b, c) => tfAttention(tf, a!, b!, c!, scale))(inputs, dOut.theirs!)
            : [tfAttention(tf, q.theirs!, k.theirs!, v.theirs!, scale)];
        prepared.peer = { kind: 'tfjs', record: () => void theirs() };
        prepared.maxAbsDiff = () => compareOnce(() => ours().slice(0, withBackward ? 3 : 1), theirs);
      }
      return prepared;
    },
  };
}

export const attentionSuite: Suite = {
  name: 'attention',
  model:
    'Fused flash attention (no mask) against tfjs composed of matMul, mul, softmax, matMul (backward: tf.grads). FLOP: forward 4·B·H·S²·D (QKᵀ and PV); forward+backward 12·B·H·S²·D (adds dV, dP, dQ, dK; recomputation not counted).',
  cases: (ctx) =>
    (ctx.quick ? ATTENTION_QUICK : ATTENTION_FULL).flatMap((s, i) => [
      attentionCase(ctx, s, false, 200 + 8 * i),
      attentionCase(ctx, s, true, 204 + 8 * i),
    ]),
};

// ---- layer norm and softmax

/** Token rows × hidden of the tiny ViT at batch 32 (quick), then tiny BERT, small and base-sized ones. */
const ROWS_QUICK: [number, number][] = [[544, 64]];
const ROWS_FULL: [number, number][] = [...ROWS_QUICK, [1536, 64], [4096, 128], [4096, 768], [16384, 256]];

/** Gradients of sum(dy ∘ f(leaves)) by our autograd; the leaves are left without gradients. */
function ourGradients(leaves: Tensor[], f: () => Tensor, dy: Tensor): Tensor[] {
  for (const t of leaves) requireGrad(t);
  backward(f(), dy);
  const grads = leaves.map((t) => t.grad!);
  for (const t of leaves) {
    t.grad = null;
    t.requiresGrad = false;
  }
  return grads;
}

function tfLayerNorm(
  tf: Tf,
  x: import('@tensorflow/tfjs').Tensor,
  gamma: import('@tensorflow/tfjs').Tensor,
  beta: import('@tensorflow/tfjs').Tensor,
  eps: number,
) {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), gamma), beta);
}

function layerNormCase(ctx: SuiteContext, [rows, n]: [number, number], withBackward: boolean, seed: number): BenchCase {
  // Forward: x in, y out (rows·n each), γ, β in, mean and rstd out. Backward: x, dy in, dx out, γ in, dγ, dβ out, mean, rstd in.
  const forwardBytes = 4 * (2 * rows * n + 2 * n + 2 * rows);
  const backwardBytes = 4 * (3 * rows * n + 3 * n + 2 * rows);
  return {
    name: `${withBackward ? 'forward+backward' : 'forward'} ${rows}×${n}`,
    unit: 'GB/s',
    work: withBackward ? forwardBytes + backwardBytes : forwardBytes,
    async prepare() {
      const x = twin(ctx, [rows, n], seed);
      const gamma = twin(ctx, [n], seed + 1);
      const beta = twin(ctx, [n], seed + 2);
      const dy = twin(ctx, [rows, n], seed + 3);
      const eps = 1e-5;
      const forward = () => layerNorm(x.ours, gamma.ours, beta.ours, eps);
      const ours = () => (withBackward ? ourGradients([x.ours, gamma.ours, beta.ours], forward, dy.ours) : [forward()]);
      const prepared: PreparedCase = { ours: () => void ours(), dispose: () => disposeAll([x, gamma, beta, dy]) };
      if (ctx.tf) {
        const tf = ctx.tf.tf;
        const inputs = [x.theirs!, gamma.theirs!, beta.theirs!];
        const theirs = () =>
          withBackward
            ? tf.grads((a, g, b) => tfLayerNorm(tf, a!, g!, b!, eps))(inputs, dy.theirs!)
            : [tfLayerNorm(tf, x.theirs!, gamma.theirs!, beta.theirs!, eps)];
        prepared.peer = { kind: 'tfjs', record: () => void theirs() };
        prepared.maxAbsDiff = () => compareOnce(ours, theirs);
      }
      return prepared;
    },
  };
}

export const layerNormSuite: Suite = {
  name: 'layernorm',
  model:
    'Layer norm over the last axis with γ, β (ours: one fused kernel each way; tfjs: moments, sub, rsqrt, mul, add, backward by tf.grads). Bytes: forward 4·(2·R·N + 2N + 2R), backward 4·(3·R·N + 3N + 2R) — the tensors each kernel must read and write once.',
  cases: (ctx) =>
    (ctx.quick ? ROWS_QUICK : ROWS_FULL).flatMap((shape, i) => [
      layerNormCase(ctx, shape, false, 300 + 8 * i),
      layerNormCase(ctx, shape, true, 304 + 8 * i),
    ]),
};

function softmaxCase(ctx: SuiteContext, [rows, n]: [number, number], seed: number): BenchCase {
  return {
    name: `forward ${rows}×${n}`,
    unit: 'GB/s',
    work: 4 * 2 * rows * n,
    async prepare() {
      const x = twin(ctx, [rows, n], seed);
      const ours = () => softmax(x.ours);
      const prepared: PreparedCase = { ours: () => void ours(), dispose: () => disposeAll([x]) };
      if (ctx.tf) {
        const tf = ctx.tf.tf;
        const theirs = () => tf.softmax(x.theirs!);
        prepared.peer = { kind: 'tfjs', record: () => void theirs() };
        prepared.maxAbsDiff = () =>
          compareOnce(
            () => [ours()],
            () => [theirs()],
          );
      }
      return prepared;
    },
  };
}

/** Attention-score rows (batch·heads·seq × seq) of the quick attention shapes, then wider rows. */
const SOFTMAX_QUICK: [number, number][] = [
  [2 * 2 * 64, 64],
  [2 * 2 * 256, 256],
];

export const softmaxSuite: Suite = {
  name: 'softmax',
  model: 'Row softmax over the last axis against tf.softmax. Bytes: 4·2·R·N (x read, y written once).',
  cases: (ctx) =>
    (ctx.quick ? SOFTMAX_QUICK : [...SOFTMAX_QUICK, [512, 2048], [4 * 12 * 197, 197], [8192, 1024]]).map((shape, i) =>
      softmaxCase(ctx, shape as [number, number], 400 + i),
    ),
};

// ---- triplet loss

function tripletCase(ctx: SuiteContext, n: number, dim: number, seed: number): BenchCase {
  return {
    name: `forward+backward n ${n} dim ${dim}`,
    unit: 'GB/s',
    // Per anchor, both passes read the anchor's, positive's and negative's rows in both modalities; backward writes dImg, dTxt.
    work: 4 * (6 + 6 + 2) * n * dim,
    async prepare() {
      const rt = ctx.rt;
      const unitRows = (s: number) => {
        const data = randomFloats(n * dim, s);
        for (let i = 0; i < n; i++) {
          const row = data.subarray(i * dim, (i + 1) * dim);
          const norm = Math.hypot(...row);
          row.forEach((v, j) => (row[j] = v / norm));
        }
        return tensorFrom(rt, data, [n, dim]).keep();
      };
      const img = unitRows(seed);
      const txt = unitRows(seed + 1);
      const mined = randomTriplets(n, seed + 2);
      const positives = tensorFrom(rt, mined.positives, [n], 'i32').keep();
      const negatives = tensorFrom(rt, mined.negatives, [n], 'i32').keep();
      return {
        ours: () =>
          void ourGradients(
            [img, txt],
            () => medtrimTripletLoss(img, txt, positives, negatives),
            tensorFrom(rt, [1], []),
          ),
        dispose: () => [img, txt, positives, negatives].forEach((t) => t.dispose()),
      };
    },
  };
}

export const tripletSuite: Suite = {
  name: 'triplet',
  model:
    'The MedTrim four-term triplet loss, forward and backward (no peer: tfjs has no such kernel). Bytes: 4·14·n·dim (six rows per anchor read by each pass, two gradient rows written).',
  cases: (ctx) =>
    (ctx.quick
      ? [
          [32, 64],
          [128, 64],
        ]
      : [
          [32, 64],
          [256, 128],
          [1024, 256],
        ]
    ).map(([n, dim], i) => tripletCase(ctx, n!, dim!, 500 + 4 * i)),
};

// ---- AdamW

/** Parameter shapes of a preset-like transformer: per layer QKV+O, MLP and norms. */
function parameterShapes(hidden: number, mlp: number, layers: number): number[][] {
  const layer = [
    [hidden, hidden],
    [hidden],
    [hidden, hidden],
    [hidden],
    [hidden, hidden],
    [hidden],
    [hidden, hidden],
    [hidden],
    [mlp, hidden],
    [mlp],
    [hidden, mlp],
    [hidden],
    [hidden],
    [hidden],
    [hidden],
    [hidden],
  ];
  return Array.from({ length: layers }, () => layer).flat();
}

function adamwCase(ctx: SuiteContext, label: string, shapes: number[][], seed: number): BenchCase {
  const count = shapes.reduce((s, shape) => s + size(shape), 0);
  return {
    name: `${label}: ${shapes.length} tensors, ${count} parameters`,
    unit: 'GB/s',
    work: 52 * count,
    async prepare() {
      const rt = ctx.rt;
      const params = shapes.map((shape, i) => {
        const p = tensorFrom(rt, randomFloats(size(shape), seed + 2 * i), shape).keep();
        p.grad = tensorFrom(rt, randomFloats(size(shape), seed + 2 * i + 1), shape).keep();
        return p;
      });
      const optimizer = new AdamW(params, { lr: 1e-3, maxGradNorm: 1 });
      const prepared: PreparedCase = {
        ours: () => optimizer.step(),
        dispose: () => {
          optimizer.dispose();
          for (const p of params) {
            p.grad?.dispose();
            p.dispose();
          }
        },
      };
      if (ctx.tf) {
        const tf = ctx.tf.tf;
        const variables = shapes.map((shape, i) =>
          tf.variable(tf.tensor(randomFloats(size(shape), seed + 2 * i), shape), true, `adamw-bench-${seed}-${i}`),
        );
        const grads = shapes.map((shape, i) => ({
          name: variables[i]!.name,
          tensor: tf.tensor(randomFloats(size(shape), seed + 2 * i + 1), shape),
        }));
        const adam = tf.train.adam(1e-3);
        prepared.peer = { kind: 'tfjs', record: () => adam.applyGradients(grads) };
        const disposeOurs = prepared.dispose;
        prepared.dispose = () => {
          disposeOurs();
          adam.dispose();
          for (const t of [...variables, ...grads.map((g) => g.tensor)]) t.dispose();
        };
      }
      return prepared;
    },
  };
}

export const adamwSuite: Suite = {
  name: 'adamw',
  model:
    'One AdamW step over all parameters with global-norm clipping (ours: pack, one fused update, unpack; tfjs peer: tf.train.adam applyGradients, no weight decay or clipping). Bytes: 52 per parameter (pack reads and writes p and g, the update reads p, g, m, v and writes p, m, v, unpack reads and writes p).',
  cases: (ctx) => {
    const cases = [adamwCase(ctx, 'tiny encoder', parameterShapes(64, 256, 2), 600)];
    if (!ctx.quick) cases.push(adamwCase(ctx, 'small encoder', parameterShapes(128, 512, 4), 700));
    return cases;
  },
};
