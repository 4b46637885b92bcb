// Fused attention vs attention composed of our own ops (matmul Q·Kᵀ, scale, softmax, matmul P·V, and for the
// backward the autograd rules of those ops: matmul products plus the softmax backward), on the same adapter.
//   npx tsx bench/attention.ts [--backend gles|swiftshader|native|auto] [--runs N]   (or MEDTRIM_BACKEND=…)
// Both fused variants (tiled, stream: src/ops/attention.ts) are timed; the ratio is against the one the adapter
// uses. Each run records the ops, submits, and waits for onSubmittedWorkDone; the median of the timed runs (after
// a warm-up, all interleaved) is reported. Results go to bench/results/attention-<adapter>.{md,json}.
import { parseArgs } from 'node:util';
import { backward, matmul, requireGrad, scale, softmax } from '../src/autograd/index.js';
import { acquireGpu, type BackendChoice } from '../src/gpu/device.js';
import { Runtime } from '../src/gpu/runtime.js';
import {
  ATTENTION_VARIANTS,
  attentionBackward,
  attentionForward,
  attentionVariant,
  useAttentionVariant,
  type AttentionVariant,
} from '../src/ops/attention.js';
import { type Tensor, tensorFrom, tidy } from '../src/tensor/tensor.js';
import { adapterLine, adapterTag, markdownTable } from '../src/bench/format.js';
import { writeResults } from '../src/bench/results.js';
import { timeInterleaved } from '../src/bench/timing.js';
import { runScript } from './lib/run-script.js';

const BATCH = 2;
const HEADS = 4;
const HEAD_DIM = 64;
const SEQS = [64, 256];
const HELP = 'usage: npx tsx bench/attention.ts [--backend gles|swiftshader|native|auto] [--runs N]';

interface Inputs {
  q: Tensor;
  k: Tensor;
  v: Tensor;
  dOut: Tensor;
}

/** Deterministic floats in [-1, 1). */
function randomFloats(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

function composedForward({ q, k, v }: Inputs): Tensor {
  return matmul(softmax(scale(matmul(q, k, { transB: true }), 1 / Math.sqrt(HEAD_DIM))), v);
}

/** The leaf gradients [dq, dk, dv] of the composed graph; the caller disposes them. */
function composedGradients(inputs: Inputs): Tensor[] {
  const leaves = [inputs.q, inputs.k, inputs.v];
  for (const t of leaves) requireGrad(t);
  tidy(() => backward(composedForward(inputs), inputs.dOut));
  const grads = leaves.map((t) => t.grad!);
  for (const t of leaves) {
    t.grad = null;
    t.requiresGrad = false;
  }
  return grads;
}

function fusedGradients({ q, k, v, dOut }: Inputs): Tensor[] {
  return tidy(() => {
    const { out, lse } = attentionForward(q, k, v);
    const { dq, dk, dv } = attentionBackward(q, k, v, out, lse, dOut);
    return [dq, dk, dv];
  });
}

async function maxAbsDiff(a: Tensor[], b: Tensor[]): Promise<number> {
  let worst = 0;
  for (let t = 0; t < a.length; t++) {
    const [x, y] = [await a[t]!.read(), await b[t]!.read()];
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
  }
  return worst;
}

/**
 * Calls of the op recorded into each timed submission: 4 at seq 64, 1 from 128 on. A single seq-64 call is a few
 * milliseconds on llvmpipe, where run-to-run jitter of a millisecond or two (thread wake-ups; measured with single
 * calls: 5.4–10.5 ms for the same fused forward+backward) would decide the ratio.
 */
function callsPerRun(seq: number): number {
  return Math.max(1, Math.round((128 / seq) ** 2));
}

/** A timed run: records `work` `calls` times, waits for the GPU, frees what it made. */
function run(rt: Runtime, work: () => Tensor | Tensor[], calls: number): () => Promise<void> {
  return async () => {
    const made = Array.from({ length: calls }, () => work());
    await rt.sync();
    for (const t of made.flat()) t.dispose();
  };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { backend: { type: 'string' }, runs: { type: 'string', default: '5' }, help: { type: 'boolean' } },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got '${values.runs}'`);
  const gpu = await acquireGpu({ backend: values.backend as BackendChoice | undefined });
  const rt = new Runtime(gpu);
  const defaultVariant = attentionVariant(rt);
  const rows: string[][] = [];
  const json: unknown[] = [];
  try {
    for (const seq of SEQS) {
      const shape = [BATCH, HEADS, seq, HEAD_DIM];
      const n = shape.reduce((p, d) => p * d, 1);
      const [q, k, v, dOut] = [1, 2, 3, 4].map((seed) => tensorFrom(rt, randomFloats(n, seed), shape));
      const inputs: Inputs = { q: q!, k: k!, v: v!, dOut: dOut! };
      // Each fused variant pins itself while it records; the composed path does not use attention.
      const pinned = (variant: AttentionVariant, work: () => Tensor | Tensor[]) => () => {
        useAttentionVariant(rt, variant);
        try {
          return work();
        } finally {
          useAttentionVariant(rt, undefined);
        }
      };
      const fusedOut = () => tidy(() => attentionForward(q!, k!, v!).out);
      const passes: [string, () => Tensor | Tensor[], () => Tensor | Tensor[]][] = [
        ['forward', fusedOut, () => composedForward(inputs)],
        ['forward+backward', () => fusedGradients(inputs), () => composedGradients(inputs)],
      ];
      for (const [pass, fused, composed] of passes) {
        let diff = 0;
        for (const variant of ATTENTION_VARIANTS)
          diff = Math.max(diff, await maxAbsDiff([pinned(variant, fused)()].flat(), [composed()].flat()));
        const calls = callsPerRun(seq);
        const timed = await timeInterleaved(
          [...ATTENTION_VARIANTS.map((variant) => run(rt, pinned(variant, fused), calls)), run(rt, composed, calls)],
          { warmup: 3, runs },
        );
        const timings = timed.map((t) => ({ seconds: t.seconds / calls, runs: t.runs.map((r) => r / calls) }));
        const tc = timings.at(-1)!;
        const seconds = Object.fromEntries(ATTENTION_VARIANTS.map((variant, i) => [variant, timings[i]!]));
        const ratio = tc.seconds / seconds[defaultVariant]!.seconds;
        rows.push([
          String(seq),
          pass,
          ...ATTENTION_VARIANTS.map((variant) => (seconds[variant]!.seconds * 1000).toFixed(1)),
          (tc.seconds * 1000).toFixed(1),
          `${ratio.toFixed(2)}×`,
          diff.toExponential(1),
        ]);
        json.push({
          seq,
          pass,
          variant: defaultVariant,
          fusedSeconds: seconds[defaultVariant]!.runs,
          variantSeconds: Object.fromEntries(ATTENTION_VARIANTS.map((variant) => [variant, seconds[variant]!.runs])),
          composedSeconds: tc.runs,
          callsPerRun: calls,
          ratio,
          maxAbsDiff: diff,
        });
        console.log(rows.at(-1)!.join('  '));
      }
      for (const t of [q, k, v, dOut]) t!.dispose();
    }
  } finally {
    gpu.release();
  }
  const header = [
    'seq',
    'pass',
    ...ATTENTION_VARIANTS.map((variant) => `fused ${variant} ms`),
    'composed ms',
    `composed / fused (${defaultVariant})`,
    'max abs diff (fused vs composed)',
  ];
  const markdown = [
    `# Attention: fused vs composed (batch ${BATCH}, ${HEADS} heads, head dim ${HEAD_DIM}, no mask)`,
    '',
    `Adapter: ${adapterLine(gpu.info)}. Median of ${runs} runs after 3 warm-ups, wall time until onSubmittedWorkDone, per call (calls a run: ${SEQS.map((seq) => `seq ${seq} ${callsPerRun(seq)}`).join(', ')}).`,
    'Composed = matmul(q, kᵀ) → scale → softmax → matmul(p, v) with our ops; its backward is their autograd rules.',
    `Fused: both kernel variants (src/ops/attention.ts); this adapter uses '${defaultVariant}', the ratio is against it.`,
    '',
    markdownTable(header, rows),
  ].join('\n');
  const written = writeResults(`attention-${adapterTag(gpu.info)}`, markdown, {
    adapter: gpu.info,
    batch: BATCH,
    heads: HEADS,
    headDim: HEAD_DIM,
    variant: defaultVariant,
    results: json,
  });
  console.log(`\n${markdown}\n\nwrote ${written.md}`);
  return 0;
}

runScript(main);
