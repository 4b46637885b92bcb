// The matmul kernel with per-batch strides: B, C and the bias at a stride other than their dense size (matrices
// interleaved with other data in one buffer, as the Q, K, V projections' parameters in an optimizer's arena), the
// row sums of op(A) written through C's binding between C's matrices. Checked against the float64 reference on
// awkward shapes, and bit for bit against the dense product of the same matrices (what qkvAttention relies on).
import { describe, expect, it } from 'vitest';
import {
  linear,
  linearBackward,
  matmulRef,
  matmulTiles,
  stridedMatmul,
  type MatmulDims,
} from '../../src/ops/matmul.js';
import { host, type HostTensor } from '../../src/tensor/host.js';
import { tensorFrom, tidyAsync, type Tensor } from '../../src/tensor/tensor.js';
import { expectClose, gpuRuntime, randomData } from '../helpers/gpu.js';

const BATCH = 3;
const SENTINEL = -7.25;

/** Bits of a float32 array, for exact comparison. */
function bits(values: Float32Array): Uint32Array {
  return new Uint32Array(values.buffer, values.byteOffset, values.length);
}

/** Element range of batch p of a [rows, cols] matrix placed at `stride` elements apart from `offset` on. */
function part(data: ArrayLike<number>, offset: number, stride: number, p: number, size: number): number[] {
  return Array.from({ length: size }, (_, i) => data[offset + p * stride + i]!);
}

describe('matmul with strided batches', () => {
  // Strides not a multiple of 4 take the scalar fetches, multiples of 4 the vec4 ones.
  const cases = [
    { m: 17, n: 3, k: 65, gap: 5 },
    { m: 65, n: 17, k: 17, gap: 4 },
    { m: 1, n: 129, k: 3, gap: 1 },
    { m: 129, n: 16, k: 16, gap: 16 },
  ];

  it('forward: x broadcast, Bᵀ and bias strided, against float64 and the dense product bit for bit', async () => {
    const rt = await gpuRuntime();
    for (const { m, n, k, gap } of cases) {
      const stride = n * k + gap;
      const biasStride = n + gap;
      const x = randomData(m * k, m + 1);
      const w = randomData(BATCH * stride, n + 2);
      const b = randomData(BATCH * biasStride, k + 3);
      await tidyAsync(async () => {
        const [xt, wt, bt] = [
          tensorFrom(rt, x, [m, k]),
          tensorFrom(rt, w, [BATCH * stride]),
          tensorFrom(rt, b, [BATCH * biasStride]),
        ];
        const c = tensorFrom(rt, new Float32Array(BATCH * m * n), [BATCH, m, n]);
        const d: MatmulDims = { batch: BATCH, batchA: 1, batchB: BATCH, m, n, k, outShape: [BATCH, m, n] };
        stridedMatmul({ transB: true }, d, matmulTiles(rt, m), {
          a: xt,
          b: { view: wt, batchStride: stride },
          bias: { view: bt, batchStride: biasStride },
          c: { view: c, batchStride: m * n },
        });
        const got = (await c.read()) as Float32Array;
        for (let p = 0; p < BATCH; p++) {
          const wp = host(Float32Array.from(part(w, 0, stride, p, n * k)), [n, k]);
          const bp = part(b, 0, biasStride, p, n);
          const ref = matmulRef(host(x, [m, k]), wp, { transB: true });
          const expected: HostTensor = { shape: ref.shape, data: ref.data.map((v, i) => v + bp[i % n]!) };
          const plane = got.subarray(p * m * n, (p + 1) * m * n);
          expectClose(plane, expected, 1e-4, 1e-4);
          const dense = linear(xt, tensorFrom(rt, wp.data, [n, k]), tensorFrom(rt, Float32Array.from(bp), [n]));
          expect(bits(plane)).toEqual(bits((await dense.read()) as Float32Array));
        }
      });
    }
  });

  it('weight gradients: Aᵀ batched, C strided, row sums between the matrices, gaps untouched', async () => {
    const rt = await gpuRuntime();
    for (const { m, n, k, gap } of cases) {
      // dW_p = dY_pᵀ·x: dY_p [rows = k, out = m], x [k, n]; C_p [m, n] at `stride`, its row sums m values after it.
      const stride = m * n + m + gap;
      const dy = randomData(BATCH * k * m, m + 5);
      const x = randomData(k * n, n + 6);
      await tidyAsync(async () => {
        const [dyt, xt] = [tensorFrom(rt, dy, [BATCH, k, m]), tensorFrom(rt, x, [k, n])];
        const out = tensorFrom(rt, new Float32Array(BATCH * stride).fill(SENTINEL), [BATCH * stride]);
        const d: MatmulDims = { batch: BATCH, batchA: BATCH, batchB: 1, m, n, k, outShape: [BATCH, m, n] };
        stridedMatmul({ transA: true }, d, matmulTiles(rt, m, true), {
          a: dyt,
          b: { view: xt, batchStride: 0 },
          c: { view: out, batchStride: stride },
          rowSumsInC: { offset: m * n, batchStride: stride },
        });
        const got = (await out.read()) as Float32Array;
        for (let p = 0; p < BATCH; p++) {
          const dyp = host(Float32Array.from(part(dy, 0, k * m, p, k * m)), [k, m]);
          const ref = matmulRef(dyp, host(x, [k, n]), { transA: true });
          const weight = got.subarray(p * stride, p * stride + m * n);
          const sums = got.subarray(p * stride + m * n, p * stride + m * n + m);
          expectClose(weight, ref, 1e-4, 1e-4);
          const refSums = Array.from({ length: m }, (_, i) => {
            let s = 0;
            for (let r = 0; r < k; r++) s += dyp.data[r * m + i]!;
            return s;
          });
          expectClose(sums, refSums, 1e-4, 1e-4);
          expect([...got.subarray(p * stride + m * n + m, (p + 1) * stride)]).toEqual(new Array(gap).fill(SENTINEL));
          // linearBackward of one layer y = x'·Wᵀ + b with x' = x [k, n] (rows k), W [m, n], dy [k, m].
          const dense = linearBackward(
            tensorFrom(rt, dyp.data, [k, m]),
            xt,
            tensorFrom(rt, new Float32Array(m * n), [m, n]),
            tensorFrom(rt, new Float32Array(m), [m]),
            { x: false, weight: true, bias: true },
            {},
          );
          expect(bits(weight)).toEqual(bits((await dense.dweight!.read()) as Float32Array));
          expect(bits(sums)).toEqual(bits((await dense.dbias!.read()) as Float32Array));
        }
      });
    }
  });

  it('refuses an A whose size does not fit the dims', async () => {
    const rt = await gpuRuntime();
    await tidyAsync(async () => {
      const a: Tensor = tensorFrom(rt, new Float32Array(6), [2, 3]);
      const d: MatmulDims = { batch: 2, batchA: 2, batchB: 1, m: 2, n: 2, k: 3, outShape: [2, 2, 2] };
      expect(() =>
        stridedMatmul({}, d, matmulTiles(rt, 2), {
          a,
          b: { view: a, batchStride: 0 },
          c: { view: a, batchStride: 4 },
        }),
      ).toThrow(/A \[2, 3\]/);
    });
  });
});
