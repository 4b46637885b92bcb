// The runtime's contracts: pooled buffers stay flat under churn, reuse waits for submission, errors name
// the kernel, device loss is reported, the adapter is the one asked for, and a step is recorded cheaply (one
// command buffer however much uniform data, kernel handles, reused bind groups).
import { describe, expect, it } from 'vitest';
import { dawnPolls } from '../../src/gpu/dawn-polling.js';
import { acquireGpu } from '../../src/gpu/device.js';
import { defineKernel, GpuError, Runtime } from '../../src/gpu/runtime.js';
import { sizeClass } from '../../src/gpu/buffer-pool.js';
import { unary } from '../../src/ops/elementwise.js';
import { matmul } from '../../src/ops/matmul.js';
import { Tensor, tensorFrom, tidy, tidyAsync } from '../../src/tensor/tensor.js';
import { gpuRuntime, randomData } from '../helpers/gpu.js';

describe('device layer', () => {
  it('takes the adapter MEDTRIM_BACKEND names and reports it', async () => {
    const rt = await gpuRuntime();
    const info = rt.gpu.info;
    if (process.env.MEDTRIM_BACKEND === 'gles') {
      expect(info.backend).toBe('gles');
      expect(info.featureLevel).toBe('compatibility');
      expect(info.device + info.description).toMatch(/llvmpipe|Mesa/i);
    } else {
      expect(info.backend).toBe('swiftshader');
      expect(info.featureLevel).toBe('core');
      expect(info.architecture).toBe('swiftshader');
      expect(rt.gpu.features.timestampQuery).toBe(true);
    }
    // The adapter's own limits were requested, not the compat defaults (128 invocations).
    expect(rt.maxInvocations).toBeGreaterThanOrEqual(256);
  });

  it('fails clearly when no adapter matches the requested name', async () => {
    await expect(acquireGpu({ adapterName: 'no-such-gpu-xyz' })).rejects.toThrow(
      /no WebGPU adapter found.*does not match 'no-such-gpu-xyz'/,
    );
  });
});

describe('buffer pool', () => {
  it('size classes are 2^k or 1.5·2^k and never smaller than asked', () => {
    for (const bytes of [1, 255, 256, 257, 383, 384, 385, 1000, 4096, 5000, 1 << 20]) {
      const c = sizeClass(bytes);
      expect(c).toBeGreaterThanOrEqual(bytes);
      expect(c).toBeLessThanOrEqual(Math.max(256, 1.5 * bytes));
      if (bytes > 256) expect(c - bytes).toBeLessThanOrEqual(c / 3);
    }
    expect(sizeClass(300)).toBe(384);
    expect(sizeClass(400)).toBe(512);
  });

  it('a loop of 1,000 ops with dispose keeps live and allocated bytes flat', async () => {
    const rt = await gpuRuntime();
    const x = tensorFrom(rt, randomData(17 * 65, 3), [17, 65]).keep();
    const w = tensorFrom(rt, randomData(65 * 65, 4), [65, 65]).keep();
    let acc = tidy(() => unary('scale', x, 1)).keep();
    const live = rt.pool.liveBytes;
    let allocatedAt100 = 0;
    for (let i = 0; i < 1000; i++) {
      const next = tidy(() => unary('tanh', matmul(acc, w)));
      acc.dispose();
      acc = next.keep();
      if (i % 10 === 9) rt.flush();
      if (i === 99) allocatedAt100 = rt.pool.allocatedBytes;
      expect(rt.pool.liveBytes).toBe(live);
    }
    await rt.sync();
    expect(rt.pool.liveBytes).toBe(live);
    // Steady state: after warm-up, every buffer comes from the pool.
    expect(rt.pool.allocatedBytes).toBe(allocatedAt100);
    const values = await acc.read();
    expect(values.every(Number.isFinite)).toBe(true);
    for (const t of [x, w, acc]) t.dispose();
  });

  it('does not hand out a released buffer before the work that used it is submitted', async () => {
    const rt = await gpuRuntime();
    await tidyAsync(async () => {
      const a = tensorFrom(rt, [1, 2, 3, 4], [4]);
      const released = a.buffer;
      const doubled = unary('scale', a, 2); // recorded, not submitted
      a.dispose();
      const b = tensorFrom(rt, [100, 100, 100, 100], [4]); // uploads immediately on the queue
      expect(released).toBeTruthy();
      expect(b.buffer).not.toBe(released);
      expect(Array.from(await doubled.read())).toEqual([2, 4, 6, 8]);
      const c = new Tensor(rt, [4]);
      expect(c.size).toBe(4);
    });
  });

  it('tidy disposes what the scope made, except what it returns', async () => {
    const rt = await gpuRuntime();
    const before = rt.pool.liveBytes;
    const kept = tidy(() => {
      const a = tensorFrom(rt, [1, 2], [2]);
      unary('exp', a);
      return { result: unary('neg', a) };
    });
    expect(rt.pool.liveBytes - before).toBe(256);
    expect(Array.from(await kept.result.read())).toEqual([-1, -2]);
    kept.result.dispose();
    expect(rt.pool.liveBytes).toBe(before);
    expect(() => kept.result.buffer).toThrow(/used after dispose/);
  });
});

describe('step recording', () => {
  it('a step with more uniform data than one arena buffer is still one command buffer', async () => {
    const rt = await gpuRuntime();
    await rt.sync();
    const before = rt.counters.commandBuffers;
    const values = await tidyAsync(async () => {
      // 600 dispatches × ≥ 256 bytes of uniforms each: more than one 64 KiB arena buffer on any adapter.
      let x = tensorFrom(rt, [1, 2, 3], [3]);
      for (let i = 0; i < 600; i++) x = unary('addScalar', x, 0.5);
      return x.read();
    });
    expect(Array.from(values)).toEqual([301, 302, 303]);
    expect(rt.counters.commandBuffers - before).toBe(1);
  });

  it('kernel handles resolve to one compiled kernel per set of constants', async () => {
    const rt = await gpuRuntime();
    const def = defineKernel({ shader: 'unary', template: { EXPR: 'x * 2.0' } });
    const a = rt.kernelOf(def, { WG: 64 });
    expect(rt.kernelOf(def, { WG: 64 })).toBe(a);
    expect(rt.kernelOf(def, { WG: 32 })).not.toBe(a);
    expect(rt.kernelOf(def, { WG: 32 }).workgroupSize[0]).toBe(32);
  });

  it('a repeated step creates no bind groups', async () => {
    const rt = await gpuRuntime();
    const x = tensorFrom(rt, randomData(100, 5), [100]);
    const step = () => tidy(() => void unary('exp', unary('neg', x)));
    step();
    await rt.sync();
    step();
    await rt.sync();
    const before = rt.counters.bindGroups;
    step();
    await rt.sync();
    expect(rt.counters.bindGroups).toBe(before);
    x.dispose();
  });
});

describe("Dawn's event polling", () => {
  it('is paced: a long wait polls from a timer, not in a busy loop', async () => {
    const rt = await gpuRuntime();
    expect(globalThis.setImmediate.name).toBe('setImmediate');
    const a = tensorFrom(rt, randomData(512 * 512, 1), [512, 512]);
    await rt.sync();
    const before = { ...dawnPolls };
    // ~270 MFLOP: tens of ms on llvmpipe (inside submit), hundreds on SwiftShader (inside the wait).
    tidy(() => void matmul(matmul(a, a), a));
    rt.flush();
    const start = performance.now();
    await rt.sync();
    const waitMs = performance.now() - start;
    const immediate = dawnPolls.immediate - before.immediate;
    const paced = dawnPolls.paced - before.paced;
    // Dawn's callback was recognised (it resolved this wait), and each wait polls at full rate for only 1 ms.
    expect(immediate + paced).toBeGreaterThan(0);
    expect(paced).toBeLessThanOrEqual(waitMs + 2);
    if (waitMs > 20) {
      expect(paced).toBeGreaterThan(0);
      // A busy loop polls hundreds of times a millisecond; paced, a wait polls about once a millisecond.
      expect(immediate + paced).toBeLessThan(2 * waitMs + 2000);
    }
    a.dispose();
  });
});

describe('errors', () => {
  it('a shader that fails to compile raises an error naming the kernel', async () => {
    const rt = await gpuRuntime();
    expect(() => rt.kernel({ shader: 'unary', template: {} })).toThrow(/kernel 'unary.*\{\{EXPR\}\} not given/);
    const broken = rt.kernel({ shader: 'unary', template: { EXPR: 'x + undefined_name' } });
    await expect(rt.sync()).rejects.toThrow(/kernel 'unary\[x \+ undefined_name\]' failed to compile/);
    expect(broken.name).toContain('unary');
  });

  it('a validation error in a step names the kernels of that step', async () => {
    const rt = await gpuRuntime();
    const kernel = rt.kernel({ shader: 'unary', template: { EXPR: 'x' }, constants: { WG: 64 } });
    const small = tensorFrom(rt, [1], [1]);
    // A uniform buffer bound as storage is a validation error recorded in the step.
    const wrongUsage = rt.device.createBuffer({ size: 256, usage: GPUBufferUsage.UNIFORM });
    rt.dispatch(kernel, { x_in: small, out: { buffer: wrongUsage, byteLength: 256 } }, { count: 1, alpha: 0 }, [1]);
    await expect(rt.sync()).rejects.toThrow(GpuError);
    small.dispose();
    wrongUsage.destroy();
  });

  it('rejects dispatches past the per-dimension limit and unknown uniforms', async () => {
    const rt = await gpuRuntime();
    const kernel = rt.kernel({ shader: 'unary', template: { EXPR: 'x' }, constants: { WG: 64 } });
    tidy(() => {
      const t = tensorFrom(rt, [1], [1]);
      expect(() => rt.dispatch(kernel, { x_in: t, out: t }, { count: 1, alpha: 0 }, [70000])).toThrow(/exceeds 65535/);
      expect(() => rt.dispatch(kernel, { x_in: t, out: t }, { count: 1, alpha: 0, typo: 1 }, [1])).toThrow(
        /unknown uniform 'typo'/,
      );
      expect(() => rt.dispatch(kernel, { x_in: t }, { count: 1, alpha: 0 }, [1])).toThrow(
        /no buffer given for binding 'out'/,
      );
    });
    await rt.sync();
  });

  it('reports device loss clearly', async () => {
    const gpu = await acquireGpu();
    const rt = new Runtime(gpu);
    gpu.device.destroy();
    await gpu.device.lost;
    expect(() => tensorFrom(rt, [1], [1])).toThrow(/GPU device lost \(destroyed\)/);
    gpu.release();
  });
});
