// The GPU score matrix equals the CPU encoding reference bit for bit; GPU mining (in-batch and streamed
// offline) equals the per-anchor TypeScript miner.
import { describe, expect, it } from 'vitest';
import { encodeBatch, scoreMatrixFromEncoding } from '../../src/mining/encode.js';
import { mineTripletsCpu } from '../../src/mining/mine-cpu.js';
import { mineOffline, mineTripletsGpu, scoreMatrixGpu, uploadEntities } from '../../src/mining/score-gpu.js';
import { medtrimScore } from '../../src/mining/score.js';
import { tensorFrom, tidyAsync } from '../../src/tensor/tensor.js';
import { randomEntities } from '../helpers/entities.js';
import { gpuRuntime, randomData } from '../helpers/gpu.js';

describe('score matrix kernel', () => {
  it('matches the f32 CPU reference exactly (and the float64 one within 1e-6)', async () => {
    const rt = await gpuRuntime();
    for (const n of [1, 3, 17, 65]) {
      const entities = randomEntities(n, n);
      const enc = encodeBatch(entities);
      await tidyAsync(async () => {
        const gpuEntities = uploadEntities(rt, enc);
        const scores = (await scoreMatrixGpu(rt, gpuEntities, gpuEntities).read()) as Float32Array;
        const expected = scoreMatrixFromEncoding(enc);
        expect(Array.from(scores)).toEqual(Array.from(expected));
        for (let i = 0; i < n; i++)
          for (let j = 0; j < n; j++)
            expect(Math.abs(scores[i * n + j]! - medtrimScore(entities[i]!, entities[j]!))).toBeLessThan(1e-6);
      });
    }
  });
});

describe('GPU mining', () => {
  it('equals the CPU miner on scores with many ties', async () => {
    const rt = await gpuRuntime();
    for (const n of [1, 2, 3, 17, 65, 129]) {
      const enc = encodeBatch(randomEntities(n, 100 + n));
      await tidyAsync(async () => {
        const gpuEntities = uploadEntities(rt, enc);
        const scores = scoreMatrixGpu(rt, gpuEntities, gpuEntities);
        const mined = mineTripletsGpu(rt, scores);
        const expected = mineTripletsCpu(await scores.read(), n);
        expect(Array.from(await mined.positives.read())).toEqual(Array.from(expected.positives));
        expect(Array.from(await mined.negatives.read())).toEqual(Array.from(expected.negatives));
      });
    }
  });

  it('equals the CPU miner on arbitrary score matrices, including an all-equal row', async () => {
    const rt = await gpuRuntime();
    const n = 33;
    const values = Array.from(randomData(n * n, 9, 0, 1), (v) => Math.round(v * 10) / 10);
    for (let j = 0; j < n; j++) values[5 * n + j] = 0.5;
    await tidyAsync(async () => {
      const scores = tensorFrom(rt, values, [n, n]);
      const mined = mineTripletsGpu(rt, scores, { tauMin: 0.3, tauMax: 0.7 });
      const expected = mineTripletsCpu(Float32Array.from(values), n, { tauMin: 0.3, tauMax: 0.7 });
      expect(Array.from(await mined.positives.read())).toEqual(Array.from(expected.positives));
      expect(Array.from(await mined.negatives.read())).toEqual(Array.from(expected.negatives));
      expect(expected.positives[5]).toBe(-1);
    });
  });

  it('offline mining streams the pool in blocks and equals full-matrix CPU mining', async () => {
    const rt = await gpuRuntime();
    const n = 301;
    const enc = encodeBatch(randomEntities(n, 7));
    const before = rt.pool.liveBytes;
    const mined = await mineOffline(rt, enc, { blockSize: 64, anchorBlock: 100 });
    const expected = mineTripletsCpu(scoreMatrixFromEncoding(enc), n);
    expect(Array.from(mined.positives)).toEqual(Array.from(expected.positives));
    expect(Array.from(mined.negatives)).toEqual(Array.from(expected.negatives));
    expect(mined.valid).toBe(expected.valid);
    expect(rt.pool.liveBytes).toBe(before);
  });
});
