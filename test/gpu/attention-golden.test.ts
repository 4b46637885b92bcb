// Fused attention against PyTorch: test/fixtures/golden/attention.json (written by scripts/golden/attention.py
// with torch float64 autograd) holds a padded-batch case in the BERT layout [batch, seq, heads·headDim].
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { attentionBackward, attentionBackwardRef, attentionForward, attentionRef } from '../../src/ops/attention.js';
import { host } from '../../src/tensor/host.js';
import { tensorFrom, tidyAsync } from '../../src/tensor/tensor.js';
import { expectClose, gpuRuntime } from '../helpers/gpu.js';

interface Golden {
  batch: number;
  seq: number;
  heads: number;
  headDim: number;
  scale: number;
  keyPadding: number[][];
  q: number[];
  k: number[];
  v: number[];
  dOut: number[];
  out: number[];
  dq: number[];
  dk: number[];
  dv: number[];
}

const golden = JSON.parse(
  readFileSync(new URL('../fixtures/golden/attention.json', import.meta.url), 'utf8'),
) as Golden;
const shape = [golden.batch, golden.seq, golden.heads * golden.headDim];
const opts = { layout: 'bshd' as const, heads: golden.heads, scale: golden.scale };
const padding = host(golden.keyPadding.flat(), [golden.batch, golden.seq]);
// Relative error 1e-4; the absolute floor only matters for entries near zero.
const RTOL = 1e-4;
const ATOL = 1e-6;

describe('attention vs PyTorch (golden file)', () => {
  it('the float64 reference agrees with torch', () => {
    const [q, k, v, dOut] = [golden.q, golden.k, golden.v, golden.dOut].map((d) => host(Float32Array.from(d), shape));
    const refOpts = { ...opts, keyPadding: padding };
    expectClose(attentionRef(q!, k!, v!, refOpts).out.data, golden.out, 1e-9, 1e-12);
    const grads = attentionBackwardRef(q!, k!, v!, dOut!, refOpts);
    expectClose(grads.dq.data, golden.dq, 1e-9, 1e-12);
    expectClose(grads.dk.data, golden.dk, 1e-9, 1e-12);
    expectClose(grads.dv.data, golden.dv, 1e-9, 1e-12);
  });

  it('the fused kernels agree with torch: output and the gradients of q, k, v', async () => {
    const rt = await gpuRuntime();
    await tidyAsync(async () => {
      const [q, k, v, dOut] = [golden.q, golden.k, golden.v, golden.dOut].map((d) => tensorFrom(rt, d, shape));
      const gpuOpts = { ...opts, keyPadding: tensorFrom(rt, padding.data, padding.shape) };
      const { out, lse } = attentionForward(q!, k!, v!, gpuOpts);
      const { dq, dk, dv } = attentionBackward(q!, k!, v!, out, lse, dOut!, gpuOpts);
      expect(out.shape).toEqual(shape);
      expectClose(await out.read(), golden.out, RTOL, ATOL);
      expectClose(await dq.read(), golden.dq, RTOL, ATOL);
      expectClose(await dk.read(), golden.dk, RTOL, ATOL);
      expectClose(await dv.read(), golden.dv, RTOL, ATOL);
    });
  });
});
