// Fused attention forward and backward against the float64 reference, on awkward shapes, both layouts,
// with padding masks, causal masks and query rows that have no key left to attend to.
import { describe, expect, it } from 'vitest';
import {
  ATTENTION_VARIANTS,
  attentionBackward,
  attentionBackwardRef,
  attentionForward,
  attentionRef,
  useAttentionVariant,
  type AttentionOptions,
} from '../../src/ops/attention.js';
import { host, type HostTensor } from '../../src/tensor/host.js';
import { sizeOf, tensorFrom, tidyAsync, type DType, type Tensor } from '../../src/tensor/tensor.js';
import { expectClose, gpuRuntime, randomData } from '../helpers/gpu.js';

interface Case {
  name: string;
  /** Shapes of q and of k (= v) in the case's layout. */
  q: number[];
  k: number[];
  opts: Omit<AttentionOptions, 'keyPadding'>;
  /** [batch][seqK] keep flags. */
  padding?: number[][];
  paddingDtype?: DType;
}

const CASES: Case[] = [
  { name: 'one query, one key, head dim 32', q: [1, 1, 1, 32], k: [1, 1, 1, 32], opts: {} },
  {
    name: 'seq 17, head dim 64, batch 2 × 3 heads, padding',
    q: [2, 3, 17, 64],
    k: [2, 3, 17, 64],
    opts: {},
    padding: [keepFirst(17, 11), keepFirst(17, 17)],
  },
  {
    name: 'seq 3 queries over 65 keys, causal, scale 0.3',
    q: [1, 2, 3, 32],
    k: [1, 2, 65, 32],
    opts: { causal: true, scale: 0.3 },
  },
  {
    name: 'seq 65, bshd [b, s, h·d], causal and padding (u32 mask)',
    q: [2, 65, 64],
    k: [2, 65, 64],
    opts: { layout: 'bshd', heads: 2, causal: true },
    padding: [keepFirst(65, 40), keepFirst(65, 65)],
    paddingDtype: 'u32',
  },
  // Batch 1 masks every key: its rows must come out 0 (not NaN), with zero gradients.
  {
    name: 'seq 17 queries over 3 keys, bshd [b, s, h, d], a fully masked batch',
    q: [3, 17, 1, 64],
    k: [3, 3, 1, 64],
    opts: { layout: 'bshd' },
    padding: [
      [1, 0, 1],
      [0, 0, 0],
      [1, 1, 0],
    ],
  },
  // 260 rows: the streaming kernels' largest row blocks (streamRowBlocks), workgroups straddling the end.
  {
    name: 'seq 260, head dim 32, causal and padding',
    q: [1, 1, 260, 32],
    k: [1, 1, 260, 32],
    opts: { causal: true },
    padding: [keepFirst(260, 250)],
  },
  // Key 0 masked + causal: query 0 has nothing to attend to.
  {
    name: 'seq 17, causal with the first key padded',
    q: [1, 1, 17, 32],
    k: [1, 1, 17, 32],
    opts: { causal: true },
    padding: [[0, ...keepFirst(16, 16)]],
  },
];

function keepFirst(n: number, kept: number): number[] {
  return Array.from({ length: n }, (_, j) => (j < kept ? 1 : 0));
}

function hostRandom(shape: number[], seed: number): HostTensor {
  return host(randomData(sizeOf(shape), seed, -1.5, 1.5), shape);
}

describe('fused attention vs the float64 reference', () => {
  // Both kernel variants on every adapter, whichever one the adapter uses by default.
  for (const c of CASES.flatMap((base) => ATTENTION_VARIANTS.map((variant) => ({ ...base, variant })))) {
    it(`${c.name} (${c.variant})`, async () => {
      const rt = await gpuRuntime();
      useAttentionVariant(rt, c.variant);
      try {
        const [q, k, v, dOut] = [hostRandom(c.q, 1), hostRandom(c.k, 2), hostRandom(c.k, 3), hostRandom(c.q, 4)];
        const padding = c.padding ? host(c.padding.flat(), [c.padding.length, c.padding[0]!.length]) : undefined;
        const refOpts = { ...c.opts, keyPadding: padding };
        const expected = attentionRef(q!, k!, v!, refOpts);
        const expectedGrads = attentionBackwardRef(q!, k!, v!, dOut!, refOpts);
        const before = rt.pool.liveBytes;
        await tidyAsync(async () => {
          const t = (h: HostTensor): Tensor => tensorFrom(rt, h.data, h.shape);
          const opts: AttentionOptions = {
            ...c.opts,
            keyPadding: padding && tensorFrom(rt, padding.data, padding.shape, c.paddingDtype ?? 'f32'),
          };
          const [tq, tk, tv] = [t(q!), t(k!), t(v!)];
          const { out, lse } = attentionForward(tq, tk, tv, opts);
          const { dq, dk, dv } = attentionBackward(tq, tk, tv, out, lse, t(dOut!), opts);
          expect(out.shape).toEqual(c.q);
          expectClose(await out.read(), expected.out, 1e-4, 2e-5);
          expectClose(await lse.read(), expected.lse, 1e-5, 2e-5);
          expectClose(await dq.read(), expectedGrads.dq, 1e-4, 3e-5);
          expectClose(await dk.read(), expectedGrads.dk, 1e-4, 3e-5);
          expectClose(await dv.read(), expectedGrads.dv, 1e-4, 3e-5);
        });
        expect(rt.pool.liveBytes).toBe(before);
      } finally {
        useAttentionVariant(rt, undefined);
      }
    });
  }

  it('the reference itself: uniform keys average the values, masked keys are ignored', () => {
    // With q = 0 every attended key gets the same score, so the output is the mean of the kept values.
    const v = host(
      [1, 10, 100, 1000].flatMap((x) => [x, 0, 0, 0]),
      [1, 1, 4, 4],
    );
    const zeros = host(new Float64Array(16), [1, 1, 4, 4]);
    const { out, lse } = attentionRef(host(new Float64Array(4), [1, 1, 1, 4]), zeros, v, {
      keyPadding: host([1, 1, 0, 1], [1, 4]),
    });
    expect(out.data[0]).toBeCloseTo((1 + 10 + 1000) / 3, 12);
    expect(lse.data[0]).toBeCloseTo(Math.log(3), 12);
  });

  it('rejects mismatched shapes and head dims that are not a multiple of 4', async () => {
    const rt = await gpuRuntime();
    await tidyAsync(async () => {
      const a = tensorFrom(rt, new Float32Array(2 * 8), [1, 1, 2, 8]);
      const b = tensorFrom(rt, new Float32Array(2 * 4), [1, 1, 2, 4]);
      const odd = tensorFrom(rt, new Float32Array(6), [1, 1, 2, 3]);
      expect(() => attentionForward(a, b, b)).toThrow(/does not match q/);
      expect(() => attentionForward(odd, odd, odd)).toThrow(/multiple of 4/);
      expect(() => attentionForward(a, a, a, { keyPadding: tensorFrom(rt, [1, 1, 1], [1, 3]) })).toThrow(
        /keyPadding \[1, 3\] should be \[1, 2\]/,
      );
    });
  });
});
