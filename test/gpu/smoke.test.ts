import { describe, expect, it } from 'vitest';
import { unary, unaryRef, binary, binaryRef } from '../../src/ops/elementwise.js';
import { host } from '../../src/tensor/host.js';
import { tensorFrom } from '../../src/tensor/tensor.js';
import { expectClose, gpuRuntime, randomData } from '../helpers/gpu.js';

describe('smoke', () => {
  it('adds', async () => {
    const rt = await gpuRuntime();
    console.log(rt.gpu.info);
    const a = randomData(12, 1), b = randomData(4, 2);
    const ta = tensorFrom(rt, a, [3, 4]), tb = tensorFrom(rt, b, [4]);
    const out = binary('add', ta, tb);
    expectClose(await out.read(), binaryRef('add', host(a, [3, 4]), host(b, [4])));
    const e = unary('exp', ta);
    expectClose(await e.read(), unaryRef('exp', host(a, [3, 4])));
    expect(rt.pool.liveBytes).toBeGreaterThan(0);
  });
});
