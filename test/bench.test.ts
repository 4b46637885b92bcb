// The host-side pieces of `medtrim bench`: work models, random triplets, suite selection, ratios and the
// interleaved timer's device-time channel, and the autotune cache parser.
import { describe, expect, it, vi } from 'vitest';
import { timeInterleaved } from '../src/bench/timing.js';
import { randomTriplets } from '../src/bench/random.js';
import { resultCells, type CaseResult } from '../src/bench/runner.js';
import { selectSuites, SUITES } from '../src/bench/suites/index.js';
import { trainStepFlop } from '../src/bench/suites/train-step.js';
import { parseCache } from '../src/gpu/autotune.js';
import { BERT_PRESETS, VIT_PRESETS } from '../src/models/config.js';

describe('bench work models', () => {
  it('train step FLOP of the tiny preset at batch 1, by hand', () => {
    // ViT: 16 patches of 64 pixels → 64: 2·16·64·64 = 131072; per block over 17 tokens
    // 2·17·(4·64² + 2·64·256) + 4·17²·64 = 1671168 + 73984, two blocks: 3490304; projection 2·64·64 = 8192.
    const image = 131072 + 3490304 + 8192;
    // BERT: per block over 48 tokens 2·48·49152 + 4·48²·64 = 4718592 + 589824, two blocks: 10616832;
    // pooler and projection 2·64·(64 + 64) = 16384.
    const text = 10616832 + 16384;
    expect(trainStepFlop(VIT_PRESETS.tiny, BERT_PRESETS.tiny, 1)).toBe(3 * (image + text));
    expect(trainStepFlop(VIT_PRESETS.tiny, BERT_PRESETS.tiny, 32)).toBeGreaterThan(
      31 * trainStepFlop(VIT_PRESETS.tiny, BERT_PRESETS.tiny, 1),
    );
  });

  it('random triplets never pick the anchor, and positive ≠ negative', () => {
    for (const n of [3, 8, 33]) {
      const { positives, negatives } = randomTriplets(n, n);
      for (let i = 0; i < n; i++) {
        expect([positives[i], negatives[i]]).not.toContain(i);
        expect(positives[i]).not.toBe(negatives[i]);
        expect(positives[i]).toBeGreaterThanOrEqual(0);
        expect(negatives[i]).toBeLessThan(n);
      }
    }
  });
});

describe('bench suites and results', () => {
  it('selects one suite by name, all of them for all, and names the choices on a typo', () => {
    expect(selectSuites('mining').map((s) => s.name)).toEqual(['mining']);
    expect(selectSuites('all')).toHaveLength(SUITES.length);
    expect(SUITES.map((s) => s.name)).toEqual([
      'matmul',
      'attention',
      'layernorm',
      'softmax',
      'mining',
      'triplet',
      'adamw',
      'train-step',
    ]);
    expect(() => selectSuites('matmull')).toThrow(/unknown suite 'matmull' \(one of matmul, attention/);
  });

  it('a table row shows rates and the ours/peer speed ratio', () => {
    const side = (name: string, seconds: number) => ({
      name,
      clock: 'wall' as const,
      seconds,
      wallSeconds: seconds,
      runs: [seconds],
      wallRuns: [seconds],
      deviceSeconds: null,
      rate: 2e9 / seconds / 1e9,
    });
    const result: CaseResult = {
      suite: 'matmul',
      name: 'x',
      unit: 'GFLOP/s',
      work: 2e9,
      ours: side('ours', 0.5),
      peer: side('tfjs', 2),
      ratio: 4,
      wallRatio: 4,
      maxAbsDiff: 1e-6,
    };
    expect(resultCells(result)).toEqual([
      'x',
      'GFLOP/s',
      '4.00',
      'tfjs',
      '1.00',
      '4.00×',
      'wall',
      '500',
      '2000',
      '4.00×',
      '1.0e-6',
    ]);
  });

  it('timeInterleaved keeps device seconds only when every run reported them', async () => {
    let calls = 0;
    const [withDevice, without, sometimes] = await timeInterleaved(
      [async () => 0.25, async () => undefined, async () => (calls++ % 2 ? 0.5 : undefined)],
      { warmup: 0, runs: 3 },
    );
    expect(withDevice!.deviceSeconds).toBe(0.25);
    expect(withDevice!.deviceRuns).toEqual([0.25, 0.25, 0.25]);
    expect(without!.deviceSeconds).toBeUndefined();
    expect(sometimes!.deviceSeconds).toBeUndefined();
    expect(withDevice!.runs).toHaveLength(3);
  });
});

describe('autotune cache parsing', () => {
  it('accepts a cache for the adapter and rejects others with a warning naming the file', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const good = {
      version: 1,
      adapter: 'gles-llvmpipe',
      entries: { f: { config: { WG_X: 8 }, candidates: [], clock: 'wall' } },
    };
    expect(parseCache(good, 'gles-llvmpipe', 'cache.json')).toEqual(good);
    expect(warn).not.toHaveBeenCalled();
    expect(parseCache(good, 'swiftshader-swiftshader', 'cache.json')).toBeUndefined();
    expect(warn).toHaveBeenLastCalledWith(
      "autotune: ignoring cache.json: it is for adapter 'gles-llvmpipe', not 'swiftshader-swiftshader'",
    );
    expect(parseCache({ ...good, version: 2 }, 'gles-llvmpipe', 'c')).toBeUndefined();
    expect(
      parseCache({ ...good, entries: { f: { config: { WG_X: 'eight' }, candidates: [] } } }, 'gles-llvmpipe', 'c'),
    ).toBeUndefined();
    expect(parseCache([1, 2], 'gles-llvmpipe', 'c')).toBeUndefined();
    expect(parseCache(null, 'gles-llvmpipe', 'c')).toBeUndefined();
    expect(warn).toHaveBeenCalledTimes(5);
    vi.restoreAllMocks();
  });
});
