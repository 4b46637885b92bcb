// Kernel benchmarks the bench page runs: each case sets up its inputs once and records one launch per call;
// the page times calls with src/bench/timing.ts, each ending when the queue has drained.
import type { Runtime } from '../../gpu/runtime.js';
import { layerNorm } from '../../ops/layernorm.js';
import { matmul } from '../../ops/matmul.js';
import { softmax } from '../../ops/softmax.js';
import { sizeOf, tensorFrom, tidy, type Tensor } from '../../tensor/tensor.js';

export interface BenchCase {
  name: string;
  unit: 'GFLOP/s' | 'GB/s';
  /** FLOPs (GFLOP/s cases) or bytes moved (GB/s cases) per launch. */
  work: number;
  prepare(rt: Runtime): PreparedCase;
}

export interface PreparedCase {
  /** Records one launch; its output is released at once (the pool reuses it only after the submit). */
  launch(): void;
  dispose(): void;
}

/** ViT-base / BERT-base: 197 tokens (196 patches + CLS), hidden 768, 12 heads (src/models/config.ts `base`). */
const TOKENS = 197;
const HIDDEN = 768;
const HEADS = 12;

function inputs(rt: Runtime, shapes: number[][]): Tensor[] {
  return shapes.map((shape, k) =>
    tensorFrom(
      rt,
      Float32Array.from({ length: sizeOf(shape) }, (_, i) => Math.sin(i * 0.37 + k)),
      shape,
    ),
  );
}

function prepared(rt: Runtime, shapes: number[][], op: (xs: Tensor[]) => Tensor): PreparedCase {
  const xs = inputs(rt, shapes);
  return {
    launch: () => void tidy(() => op(xs)),
    dispose: () => xs.forEach((x) => x.dispose()),
  };
}

function matmulCase(name: string, m: number, k: number, n: number): BenchCase {
  return {
    name,
    unit: 'GFLOP/s',
    work: 2 * m * n * k,
    prepare: (rt) =>
      prepared(
        rt,
        [
          [m, k],
          [k, n],
        ],
        ([a, b]) => matmul(a!, b!),
      ),
  };
}

export function squareMatmul(n: number): BenchCase {
  return matmulCase(`matmul ${n}×${n} · ${n}×${n}`, n, n, n);
}

/** A transformer layer's shapes: the QKV-sized projection, layer norm over tokens, softmax over attention scores. */
export function transformerCases(): BenchCase[] {
  const rowsBytes = (rows: number, n: number) => 2 * rows * n * 4;
  return [
    matmulCase(`matmul ${TOKENS}×${HIDDEN} · ${HIDDEN}×${HIDDEN} (projection)`, TOKENS, HIDDEN, HIDDEN),
    {
      name: `layer norm ${TOKENS}×${HIDDEN}`,
      unit: 'GB/s',
      work: rowsBytes(TOKENS, HIDDEN),
      prepare: (rt) => prepared(rt, [[TOKENS, HIDDEN], [HIDDEN], [HIDDEN]], ([x, g, b]) => layerNorm(x!, g!, b!)),
    },
    {
      name: `softmax ${HEADS}×${TOKENS}×${TOKENS} (attention scores)`,
      unit: 'GB/s',
      work: rowsBytes(HEADS * TOKENS, TOKENS),
      prepare: (rt) => prepared(rt, [[HEADS, TOKENS, TOKENS]], ([x]) => softmax(x!)),
    },
  ];
}

export interface BenchSettings {
  squareSizes: number[];
  transformer: boolean;
  runs: number;
}

export const DEFAULT_BENCH: BenchSettings = { squareSizes: [128, 256, 512], transformer: true, runs: 5 };

function positiveInts(text: string, what: string): number[] {
  const values = text.split(',').map((s) => Number(s.trim()));
  if (!values.length || values.some((v) => !Number.isInteger(v) || v < 1))
    throw new Error(`${what} must be positive integers separated by commas, got '${text}'`);
  return values;
}

/** `?sizes=64,128` (square matmul sizes), `?transformer=no`, `?runs=N` (timed runs per case). */
export function benchSettings(query: URLSearchParams): BenchSettings {
  const sizes = query.get('sizes');
  const transformer = query.get('transformer') ?? 'yes';
  if (transformer !== 'yes' && transformer !== 'no')
    throw new Error(`transformer must be yes or no, got '${transformer}'`);
  const runs = query.get('runs');
  return {
    squareSizes: sizes === null ? DEFAULT_BENCH.squareSizes : positiveInts(sizes, 'sizes'),
    transformer: transformer === 'yes',
    runs: runs === null ? DEFAULT_BENCH.runs : positiveInts(runs, 'runs')[0]!,
  };
}

export function benchCases(settings: BenchSettings): BenchCase[] {
  return [...settings.squareSizes.map(squareMatmul), ...(settings.transformer ? transformerCases() : [])];
}
