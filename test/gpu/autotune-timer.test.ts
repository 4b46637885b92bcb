// The measuring side of autotuning and `medtrim bench`: GPU pass timing by timestamp queries (where the adapter
// has them) and the suite runner on a real kernel, without peers.
import { describe, expect, it } from 'vitest';
import { PassTimer } from '../../src/gpu/pass-timer.js';
import { runSuite } from '../../src/bench/runner.js';
import { softmaxSuite } from '../../src/bench/suites/kernels.js';
import { matmul } from '../../src/ops/matmul.js';
import { tensorFrom } from '../../src/tensor/tensor.js';
import { gpuRuntime, randomData } from '../helpers/gpu.js';

describe('pass timer', () => {
  it('exists exactly when the device has timestamp queries, and times more work as longer', async () => {
    const rt = await gpuRuntime();
    const timer = PassTimer.create(rt);
    expect(timer !== null).toBe(rt.device.features.has('timestamp-query'));
    if (!timer) return;
    const a = tensorFrom(rt, randomData(96 * 96, 1), [96, 96]);
    const work = (products: number) => async () => {
      for (let i = 0; i < products; i++) matmul(a, a).dispose();
      await rt.sync();
    };
    const t0 = performance.now();
    const one = await timer.time(work(1));
    const wall = (performance.now() - t0) / 1000;
    const many = await timer.time(work(20));
    expect(one).toBeGreaterThan(0);
    expect(one).toBeLessThanOrEqual(wall);
    expect(many).toBeGreaterThan(one);
    expect(rt.passTimestamps).toBeNull();
    timer.destroy();
  });
});

describe('bench runner', () => {
  it('runs a suite without peers: rates from the work model, no ratios', async () => {
    const rt = await gpuRuntime();
    const results = await runSuite({ rt, quick: true, tf: null, peerTrainStep: null }, softmaxSuite, { runs: 2 });
    expect(results.map((r) => r.name)).toEqual(['forward 256×64', 'forward 1024×256']);
    for (const r of results) {
      expect(r.peer).toBeNull();
      expect(r.ratio).toBeNull();
      expect(r.ours.runs).toHaveLength(2);
      expect(r.ours.clock).toBe(rt.device.features.has('timestamp-query') ? 'gpu-timestamps' : 'wall');
      expect(r.ours.rate).toBeCloseTo(r.work / r.ours.seconds / 1e9, 12);
    }
    expect(results[1]!.work).toBe(4 * 2 * 1024 * 256);
  });
});
