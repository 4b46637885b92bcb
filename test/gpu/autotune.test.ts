// Matmul autotuning: the first use of a shape family queues a tuning, tunePending picks one of the candidates and
// saves it; a second tuner reads it back from the cache file; corrupt or foreign cache files are ignored with a
// warning; and every candidate tiling gives the reference's product. Each test has its own cache directory and
// makes what it needs itself, so any one of them runs alone or in any order.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  disableAutotune,
  enableAutotune,
  nodeTuneStore,
  type Autotuner,
  type TuneCache,
} from '../../src/gpu/autotune.js';
import type { Runtime } from '../../src/gpu/runtime.js';
import { matmul, matmulRef, matmulTileCandidates, matmulTiles, type MatmulOptions } from '../../src/ops/matmul.js';
import { tensorFrom } from '../../src/tensor/tensor.js';
import { expectClose, gpuRuntime, randomData } from '../helpers/gpu.js';

const TAG = 'test-adapter';
const OPTS: MatmulOptions = { transB: true };
// Unaligned M, N, K, so tiles straddle the edges of C and the K tail is masked.
const A_SHAPE = [37, 22];
const B_SHAPE = [45, 22];

let root: string;
let dir: string;
let rt: Runtime;

beforeAll(async () => {
  rt = await gpuRuntime();
  root = mkdtempSync(join(tmpdir(), 'medtrim-autotune-'));
});
beforeEach(() => {
  dir = mkdtempSync(join(root, 'cache-'));
  process.env.MEDTRIM_CACHE_DIR = dir;
});
afterEach(() => {
  disableAutotune(rt);
  vi.restoreAllMocks();
});
afterAll(() => {
  delete process.env.MEDTRIM_CACHE_DIR;
  rmSync(root, { recursive: true, force: true });
});

const cacheFile = () => join(dir, `autotune-${TAG}.json`);

async function tuner(): Promise<Autotuner> {
  return enableAutotune(rt, await nodeTuneStore(TAG), TAG, { runs: 1 });
}

/** Our product of fixed random operands, checked against the float64 reference. */
async function checkedProduct(): Promise<void> {
  const a = randomData(37 * 22, 1);
  const b = randomData(45 * 22, 2);
  const out = matmul(tensorFrom(rt, a, A_SHAPE), tensorFrom(rt, b, B_SHAPE), OPTS);
  expectClose(await out.read(), matmulRef({ shape: A_SHAPE, data: a }, { shape: B_SHAPE, data: b }, OPTS), 1e-4, 1e-4);
  out.dispose();
}

/** Tunes the test's family into this test's cache file and returns what was saved. */
async function tunedCache(): Promise<TuneCache> {
  const t = await tuner();
  await checkedProduct();
  await t.tunePending();
  disableAutotune(rt);
  return JSON.parse(readFileSync(cacheFile(), 'utf8')) as TuneCache;
}

describe('matmul autotuning', () => {
  it('tunes a family on first use, keeps a candidate, and saves it', async () => {
    const t = await tuner();
    await checkedProduct();
    expect(t.pendingFamilies).toHaveLength(1);
    const family = t.pendingFamilies[0]!;
    await t.tunePending();
    const saved = JSON.parse(readFileSync(cacheFile(), 'utf8')) as TuneCache;
    const entry = saved.entries[family]!;
    const candidates = matmulTileCandidates(rt);
    expect(entry.candidates.map((c) => c.config)).toEqual(candidates);
    expect(candidates).toContainEqual(entry.config);
    expect(entry.config).toEqual(entry.candidates.reduce((x, y) => (y.seconds < x.seconds ? y : x)).config);
    await checkedProduct();
    expect(t.used.get(family)).toEqual(entry.config);
    expect(t.pendingFamilies).toEqual([]);
  });

  it('reads the tuned config back from the cache file without tuning again', async () => {
    const saved = await tunedCache();
    expect(Object.keys(saved.entries)).toHaveLength(1);
    const t = await tuner();
    expect(t.cache).toEqual(saved);
    await checkedProduct();
    expect(t.pendingFamilies).toEqual([]);
    expect([...t.used.values()]).toEqual(Object.values(saved.entries).map((e) => e.config));
    expect(t.tunedNow.size).toBe(0);
  });

  it('every candidate tiling computes the same product', async () => {
    const saved = await tunedCache();
    const family = Object.keys(saved.entries)[0]!;
    for (const config of matmulTileCandidates(rt)) {
      writeFileSync(
        cacheFile(),
        JSON.stringify({ ...saved, entries: { [family]: { ...saved.entries[family], config } } }),
      );
      const t = await tuner();
      await checkedProduct();
      expect(t.used.get(family)).toEqual(config);
      disableAutotune(rt);
    }
  });

  it('ignores a corrupt cache file with a warning, and a cached config that is no candidate', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    writeFileSync(cacheFile(), '{"version": 1, "adapter": "test-adap');
    const t = await tuner();
    expect(warn).toHaveBeenCalledWith(expect.stringContaining(cacheFile()));
    expect(t.cache.entries).toEqual({});
    disableAutotune(rt);

    writeFileSync(cacheFile(), JSON.stringify({ version: 1, adapter: 'another-adapter', entries: {} }));
    await tuner();
    expect(warn).toHaveBeenLastCalledWith(expect.stringContaining("for adapter 'another-adapter'"));
    disableAutotune(rt);

    const family = 'matmul NT aligned 000 m64 n64 k32 batch 1';
    const bogus = { config: { ...matmulTiles(rt), WG_X: 999 }, candidates: [], clock: 'wall' };
    writeFileSync(cacheFile(), JSON.stringify({ version: 1, adapter: TAG, entries: { [family]: bogus } }));
    const t2 = await tuner();
    await checkedProduct();
    expect(t2.used.size).toBe(0);
    expect(t2.pendingFamilies).toEqual([family]);
  });

  it('is off unless enabled: no family is queued', async () => {
    await checkedProduct();
    const t = await tuner();
    disableAutotune(rt);
    await checkedProduct();
    expect(t.pendingFamilies).toEqual([]);
  });
});
