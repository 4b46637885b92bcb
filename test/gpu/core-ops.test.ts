// Every engine-core kernel against its float64 reference, on awkward shapes, on the adapter under test.
import { describe, expect, it } from 'vitest';
import {
  BINARY,
  binary,
  binaryRef,
  UNARY,
  unary,
  unaryRef,
  type BinaryOp,
  type UnaryOp,
} from '../../src/ops/elementwise.js';
import { broadcastTo, gather, gatherRef, permute, permuteRef, transpose } from '../../src/ops/layout.js';
import { matmul, matmulDims, matmulRef } from '../../src/ops/matmul.js';
import { splitAxis } from '../../src/ops/layout.js';
import { REDUCE, reduce, reduceRef, reduceStrategy, type ReduceOp } from '../../src/ops/reduce.js';
import { host } from '../../src/tensor/host.js';
import { tensorFrom, tidy } from '../../src/tensor/tensor.js';
import { AWKWARD, checkOp } from '../helpers/check-op.js';
import { gpuRuntime } from '../helpers/gpu.js';

const POSITIVE_ONLY = new Set<UnaryOp>(['log', 'sqrt', 'rsqrt', 'powScalar']);
// WGSL guarantees sin and cos only to an absolute error of 2^-11 on [-π, π] (SwiftShader uses that room).
const SPEC_ABSOLUTE_ERROR: Partial<Record<UnaryOp, number>> = { sin: 2 ** -11, cos: 2 ** -11 };

describe('unary ops', () => {
  for (const op of Object.keys(UNARY) as UnaryOp[]) {
    it(op, async () => {
      for (const n of AWKWARD) {
        await checkOp({
          shapes: [[n, 3]],
          range: POSITIVE_ONLY.has(op) ? [0.1, 4] : op === 'tanh' ? [-12, 12] : [-3, 3],
          gpu: ([x]) => unary(op, x!, 1.7),
          ref: ([x]) => unaryRef(op, x!, 1.7),
          rtol: SPEC_ABSOLUTE_ERROR[op] ? 0 : 2e-5,
          atol: SPEC_ABSOLUTE_ERROR[op] ?? 2e-6,
        });
      }
    });
  }
});

describe('binary ops with broadcasting', () => {
  const shapePairs: [number[], number[]][] = [
    [[17], [17]],
    [[65, 3], [3]],
    [
      [3, 1, 17],
      [1, 65, 1],
    ],
    [[1], [129]],
    [
      [2, 3, 1, 5],
      [3, 17, 1],
    ],
    // Collapse to rank 1 and to rank 2 (a bias over merged rows) before launch.
    [
      [4, 5, 6],
      [4, 5, 6],
    ],
    [
      [4, 1, 5, 6],
      [5, 6],
    ],
  ];
  for (const op of Object.keys(BINARY) as BinaryOp[]) {
    it(op, async () => {
      for (const [sa, sb] of shapePairs) {
        await checkOp({
          shapes: [sa, sb],
          range: op === 'pow' ? [0.5, 2] : [-2, 2],
          gpu: ([a, b]) => binary(op, a!, b!),
          ref: ([a, b]) => binaryRef(op, a!, b!),
          rtol: 2e-5,
          atol: 1e-6,
        });
      }
    });
  }

  it('rejects shapes that do not broadcast', async () => {
    const rt = await gpuRuntime();
    tidy(() => {
      const a = tensorFrom(rt, [1, 2, 3], [3]);
      const b = tensorFrom(rt, [1, 2], [2]);
      expect(() => binary('add', a, b)).toThrow(/do not broadcast/);
    });
  });
});

describe('reductions along an axis', () => {
  for (const op of Object.keys(REDUCE) as ReduceOp[]) {
    it(op, async () => {
      for (const n of AWKWARD) {
        for (const axis of [0, 1, 2]) {
          await checkOp({
            shapes: [[3, n, 2]],
            gpu: ([x]) => reduce(op, x!, axis),
            ref: ([x]) => reduceRef(op, x!, axis),
            rtol: 1e-5,
            atol: 1e-5,
          });
        }
      }
      await checkOp({
        shapes: [[5, 1000]],
        gpu: ([x]) => reduce(op, x!, -1, true),
        ref: ([x]) => reduceRef(op, x!, -1, true),
        atol: 1e-4,
      });
      // Both kernels, at the shapes of a train step: a position-embedding gradient summed over the batch and a
      // bias gradient summed over rows (serial), long rows (workgroup).
      for (const [shape, axis, strategy] of [
        [[4, 3072], 0, 'serial'],
        [[300, 65], 0, 'serial'],
        [[2, 129, 17], 1, 'workgroup'],
        [[7, 5000], 1, 'workgroup'],
      ] as const) {
        const { n, inner } = splitAxis(shape, axis);
        expect(reduceStrategy(n, inner), `[${shape.join(', ')}] axis ${axis}`).toBe(strategy);
        await checkOp({
          shapes: [[...shape]],
          gpu: ([x]) => reduce(op, x!, axis),
          ref: ([x]) => reduceRef(op, x!, axis),
          rtol: 1e-5,
          atol: 1e-4,
        });
      }
    });
  }
});

describe('permute, transpose, broadcastTo, gather', () => {
  it('permute', async () => {
    for (const perm of [
      [1, 0, 2],
      [2, 0, 1],
      [0, 2, 1],
      [2, 1, 0],
    ]) {
      await checkOp({ shapes: [[3, 17, 5]], gpu: ([x]) => permute(x!, perm), ref: ([x]) => permuteRef(x!, perm) });
    }
    await checkOp({ shapes: [[65, 129]], gpu: ([x]) => transpose(x!), ref: ([x]) => permuteRef(x!, [1, 0]) });
    await checkOp({
      shapes: [[2, 1, 3, 1, 2]],
      gpu: ([x]) => permute(x!, [4, 3, 2, 1, 0]),
      ref: ([x]) => permuteRef(x!, [4, 3, 2, 1, 0]),
    });
  });

  it('broadcastTo', async () => {
    await checkOp({
      shapes: [[3, 1]],
      gpu: ([x]) => broadcastTo(x!, [2, 3, 17]),
      ref: ([x]) =>
        permuteRef(
          { shape: [2, 3, 17], data: Float64Array.from({ length: 102 }, (_, i) => x!.data[Math.floor(i / 17) % 3]!) },
          [0, 1, 2],
        ),
    });
  });

  it('gather along each axis, out-of-range indices give 0', async () => {
    const rt = await gpuRuntime();
    const indices = [2, 0, 0, 16, -1, 17, 5];
    for (const axis of [0, 1, 2]) {
      await checkOp({
        shapes: [[17, 17, 3]],
        gpu: ([x]) => gather(x!, tensorFrom(rt, indices, [indices.length], 'i32'), axis),
        ref: ([x]) => gatherRef(x!, indices, axis),
      });
    }
    expect(gatherRef(host([1, 2, 3], [3]), [5, -1, 1], 0).data).toEqual(Float64Array.from([0, 0, 2]));
  });
});

describe('matmul', () => {
  it('every combination of awkward M, N, K', async () => {
    for (const m of AWKWARD)
      for (const n of [1, 17, 129])
        for (const k of [1, 3, 65]) {
          await checkOp({
            shapes: [
              [m, k],
              [k, n],
            ],
            gpu: ([a, b]) => matmul(a!, b!),
            ref: ([a, b]) => matmulRef(a!, b!),
            rtol: 1e-4,
            atol: 1e-4,
          });
        }
  });

  it('transposed operands', async () => {
    for (const [transA, transB] of [
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      const opts = { transA, transB };
      const [m, n, k] = [65, 17, 129];
      await checkOp({
        shapes: [transA ? [k, m] : [m, k], transB ? [n, k] : [k, n]],
        gpu: ([a, b]) => matmul(a!, b!, opts),
        ref: ([a, b]) => matmulRef(a!, b!, opts),
        rtol: 1e-4,
        atol: 1e-4,
      });
    }
  });

  it('batched, with a broadcast operand', async () => {
    await checkOp({
      shapes: [
        [3, 17, 65],
        [3, 65, 3],
      ],
      gpu: ([a, b]) => matmul(a!, b!),
      ref: ([a, b]) => matmulRef(a!, b!),
      rtol: 1e-4,
      atol: 1e-4,
    });
    await checkOp({
      shapes: [
        [2, 3, 17, 5],
        [5, 1],
      ],
      gpu: ([a, b]) => matmul(a!, b!),
      ref: ([a, b]) => matmulRef(a!, b!),
      rtol: 1e-4,
      atol: 1e-4,
    });
    await checkOp({
      shapes: [
        [17, 65],
        [4, 17, 65],
      ],
      gpu: ([a, b]) => matmul(a!, b!, { transB: true }),
      ref: ([a, b]) => matmulRef(a!, b!, { transB: true }),
      rtol: 1e-4,
      atol: 1e-4,
    });
    // A batch of one keeps its dimension on either side.
    expect(matmulDims([5, 3], [1, 3, 4], {}).outShape).toEqual([1, 5, 4]);
    expect(matmulDims([2, 1, 5, 3], [3, 4], {}).outShape).toEqual([2, 1, 5, 4]);
    await checkOp({
      shapes: [
        [5, 3],
        [1, 3, 4],
      ],
      gpu: ([a, b]) => matmul(a!, b!),
      ref: ([a, b]) => matmulRef(a!, b!),
      rtol: 1e-4,
      atol: 1e-4,
    });
    await checkOp({
      shapes: [
        [1, 5, 3],
        [3, 4],
      ],
      gpu: ([a, b]) => matmul(a!, b!),
      ref: ([a, b]) => matmulRef(a!, b!),
      rtol: 1e-4,
      atol: 1e-4,
    });
  });

  it('rejects mismatched inner dimensions', async () => {
    const rt = await gpuRuntime();
    tidy(() =>
      expect(() => matmul(tensorFrom(rt, [1, 2, 3, 4, 5, 6], [2, 3]), tensorFrom(rt, [1, 2, 3, 4], [2, 2]))).toThrow(
        /inner dimensions/,
      ),
    );
  });
});
