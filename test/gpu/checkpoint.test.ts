// Save, stop, resume: a small ViT with dropout trains on random images/labels (batches drawn by a seeded
// Rng), is checkpointed, and continues; a freshly built model/optimizer/Rng (different seeds) restored from
// the checkpoint must produce the same next losses, bit for bit. Broken or edited checkpoints give clear errors,
// a failed save leaves the previous checkpoint as it was, and non-finite values are never saved nor loaded.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backward, crossEntropy } from '../../src/autograd/index.js';
import { Rng } from '../../src/util/rng.js';
import type { Runtime } from '../../src/gpu/runtime.js';
import type { ViTConfig } from '../../src/models/config.js';
import { ViTEncoder } from '../../src/models/vit.js';
import { AdamW } from '../../src/ops/optim.js';
import { tensorFrom, tidyAsync } from '../../src/tensor/tensor.js';
import { readSafetensors, writeSafetensors } from '../../src/io/safetensors.js';
import { loadCheckpoint, saveCheckpoint } from '../../src/train/checkpoint.js';
import { checksumParts } from '../../src/train/checkpoint-model.js';
import { gpuRuntime } from '../helpers/gpu.js';

const CONFIG: ViTConfig = {
  imageSize: 16,
  patchSize: 8,
  channels: 1,
  hidden: 16,
  layers: 1,
  heads: 2,
  mlp: 32,
  layerNormEps: 1e-12,
  dropout: 0.2,
  embedDim: 4,
};
const BATCH = 4;
const DATASET = 12;
const PIXELS = CONFIG.imageSize * CONFIG.imageSize;
const BEFORE_SAVE = 2;
const AFTER_SAVE = 3;

const dataRng = new Rng(7);
const images = Array.from({ length: DATASET * PIXELS }, () => dataRng.uniform(-1, 1));
const labels = Array.from({ length: DATASET }, () => dataRng.int(CONFIG.embedDim));

interface Run {
  model: ViTEncoder;
  optimizer: AdamW;
  order: Rng;
}

function newRun(rt: Runtime, seed: number): Run {
  const model = new ViTEncoder(rt, CONFIG, seed);
  return {
    model,
    optimizer: new AdamW(model.trainableParameters(), { lr: 3e-3, maxGradNorm: 1 }),
    order: new Rng(seed, 1),
  };
}

const stateOf = (run: Run) => ({
  modules: { image: run.model },
  optimizer: run.optimizer,
  random: { order: run.order, dropout: run.model.dropoutStream },
});

/** One AdamW step on a batch drawn by the run's Rng; returns the loss. */
function trainStep(rt: Runtime, run: Run): Promise<number> {
  return tidyAsync(async () => {
    const picks = Array.from({ length: BATCH }, () => run.order.int(DATASET));
    const batch = tensorFrom(
      rt,
      picks.flatMap((i) => images.slice(i * PIXELS, (i + 1) * PIXELS)),
      [BATCH, 1, CONFIG.imageSize, CONFIG.imageSize],
    );
    const loss = crossEntropy(
      run.model.forward(batch).embedding,
      tensorFrom(
        rt,
        picks.map((i) => labels[i]!),
        [BATCH],
        'i32',
      ),
    );
    run.optimizer.zeroGrad();
    backward(loss);
    run.optimizer.step();
    return (await loss.read())[0]!;
  });
}

async function train(rt: Runtime, run: Run, steps: number): Promise<number[]> {
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) losses.push(await trainStep(rt, run));
  return losses;
}

function dispose(run: Run): void {
  run.model.dispose();
  run.optimizer.dispose();
}

let dir: string;
beforeAll(async () => (dir = await mkdtemp(join(tmpdir(), 'medtrim-ckpt-'))));
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('checkpoint: save, stop, resume', () => {
  it('a resumed run repeats the uninterrupted run’s next losses exactly', async () => {
    const rt = await gpuRuntime();
    const path = join(dir, 'resume.safetensors');
    const original = newRun(rt, 3);
    await train(rt, original, BEFORE_SAVE);
    await saveCheckpoint(path, { step: BEFORE_SAVE, config: CONFIG, ...stateOf(original) });
    const uninterrupted = await train(rt, original, AFTER_SAVE);
    dispose(original);

    const resumed = newRun(rt, 99);
    const { step, config } = await loadCheckpoint(path, { config: CONFIG, ...stateOf(resumed) });
    expect(step).toBe(BEFORE_SAVE);
    expect(config).toEqual(CONFIG);
    expect(resumed.optimizer.steps).toBe(BEFORE_SAVE);
    const afterResume = await train(rt, resumed, AFTER_SAVE);
    dispose(resumed);
    expect(afterResume).toEqual(uninterrupted);
    // Training moved: the losses are not one repeated value.
    expect(new Set(uninterrupted).size).toBe(AFTER_SAVE);

    // Control: without the dropout stream's state the masks differ, and so do the losses.
    const noDropoutState = newRun(rt, 99);
    await loadCheckpoint(path, stateOf(noDropoutState));
    noDropoutState.model.dropoutStream.calls = 0;
    expect(await train(rt, noDropoutState, 2)).not.toEqual(uninterrupted.slice(0, 2));
    dispose(noDropoutState);
  });

  it('rejects truncated, corrupted and mismatched checkpoints with errors naming the file, touching nothing', async () => {
    const rt = await gpuRuntime();
    const path = join(dir, 'good.safetensors');
    const run = newRun(rt, 5);
    await train(rt, run, 1);
    await saveCheckpoint(path, { step: 1, config: CONFIG, ...stateOf(run) });
    const bytes = await readFile(path);
    const before = await run.model.positionEmbedding.read();

    const truncated = join(dir, 'truncated.safetensors');
    await writeFile(truncated, bytes.subarray(0, bytes.length - 100));
    await expect(loadCheckpoint(truncated, stateOf(run))).rejects.toThrow(`checkpoint ${truncated}: `);

    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 10]! ^= 0x40;
    const corrupted = join(dir, 'corrupted.safetensors');
    await writeFile(corrupted, flipped);
    await expect(loadCheckpoint(corrupted, stateOf(run))).rejects.toThrow(
      /corrupted\.safetensors: tensor data or metadata does not match its SHA-256/,
    );

    await expect(loadCheckpoint(path, { ...stateOf(run), config: { ...CONFIG, hidden: 32 } })).rejects.toThrow(
      /saved config .* differs/,
    );
    const wider = newRun(rt, 5);
    const widerModel = new ViTEncoder(rt, { ...CONFIG, mlp: 64 }, 5);
    await expect(loadCheckpoint(path, { ...stateOf(wider), modules: { image: widerModel } })).rejects.toThrow(
      /tensor 'param\/image\.encoder\.0\.intermediate\.weight' has shape \[32, 16\], the model has \[64, 16\]/,
    );
    widerModel.dispose();
    dispose(wider);
    await expect(loadCheckpoint(path, { ...stateOf(run), random: { order: run.order } })).rejects.toThrow(
      /random sources \[.*\] saved, \[order\] given/,
    );
    expect(await run.model.positionEmbedding.read()).toEqual(before);

    // A save that fails (here: a parameter already disposed) leaves the previous checkpoint byte for byte.
    const broken = newRun(rt, 6);
    broken.model.projection.weight.dispose();
    await expect(saveCheckpoint(path, { step: 2, config: CONFIG, ...stateOf(broken) })).rejects.toThrow(
      /used after dispose/,
    );
    expect(Buffer.compare(await readFile(path), bytes)).toBe(0);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    dispose(broken);
    dispose(run);
  });

  it('detects an edit of any metadata (step, config, optimizer or random state) through the checksum', async () => {
    const rt = await gpuRuntime();
    const path = join(dir, 'meta.safetensors');
    const run = newRun(rt, 8);
    await train(rt, run, 2);
    await saveCheckpoint(path, { step: 2, config: CONFIG, ...stateOf(run) });
    const bytes = await readFile(path);
    const text = bytes.toString('latin1');
    // Each edit keeps the header's length, so only the checksum can tell.
    const edits: [string, RegExp, (match: string) => string][] = [
      ['step', /"step":"2"/, () => '"step":"9"'],
      ['config', /\\"hidden\\":16/, (m) => m.replace('16', '61')],
      ['AdamW step count', /\\"steps\\":2/, (m) => m.replace('2', '7')],
      ['random state', /\\"state\\":\[\d/, (m) => m.slice(0, -1) + ((Number(m.at(-1)) + 1) % 10)],
    ];
    for (const [what, pattern, edit] of edits) {
      expect(text, what).toMatch(pattern);
      const edited = join(dir, 'edited.safetensors');
      await writeFile(edited, Buffer.from(text.replace(pattern, edit), 'latin1'));
      expect((await readFile(edited)).length).toBe(bytes.length);
      await expect(loadCheckpoint(edited, stateOf(run)), what).rejects.toThrow(
        /edited\.safetensors: tensor data or metadata does not match its SHA-256 checksum/,
      );
    }
    const { step } = await loadCheckpoint(path, stateOf(run));
    expect(step).toBe(2);
    dispose(run);
  });

  it('never saves a checkpoint holding NaN or infinity, and refuses to load one', async () => {
    const rt = await gpuRuntime();
    const path = join(dir, 'finite.safetensors');
    const run = newRun(rt, 9);
    await train(rt, run, 1);
    await saveCheckpoint(path, { step: 1, config: CONFIG, ...stateOf(run) });
    const good = await readFile(path);

    const weight = run.model.projection.weight;
    const values = (await weight.read()) as Float32Array;
    const poisoned = Float32Array.from(values);
    poisoned[3] = NaN;
    rt.upload(weight, poisoned);
    await expect(saveCheckpoint(path, { step: 2, config: CONFIG, ...stateOf(run) })).rejects.toThrow(
      /^checkpoint .*finite\.safetensors: not saving step 2: tensor 'param\/image\.projection\.weight' holds NaN at index 3 \(the run diverged\); the file is left as it was$/,
    );
    expect(Buffer.compare(await readFile(path), good)).toBe(0);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    // A well-formed, correctly checksummed file with an infinity in it (as an older medtrim wrote for a
    // diverged run) is refused too, before anything is restored.
    const { tensors, metadata } = await readSafetensors(path);
    const data = new Map([...tensors].map(([name, t]) => [name, Float32Array.from(t.data as Float32Array)]));
    data.get('adamw/v')![0] = Infinity;
    const { sha256: _, ...rest } = metadata;
    const { createHash } = await import('node:crypto');
    const hash = createHash('sha256');
    for (const part of checksumParts(data, rest)) hash.update(part);
    const diverged = join(dir, 'diverged.safetensors');
    await writeSafetensors(
      diverged,
      Object.fromEntries(
        [...tensors].map(([name, t]) => [name, { dtype: 'F32' as const, shape: t.shape, data: data.get(name)! }]),
      ),
      { ...rest, sha256: hash.digest('hex') },
    );
    const before = await run.model.positionEmbedding.read();
    await expect(loadCheckpoint(diverged, stateOf(run))).rejects.toThrow(
      /diverged\.safetensors: tensor 'adamw\/v' holds Infinity at index 0 \(the run diverged\); retrain with a lower --lr$/,
    );
    expect(await run.model.positionEmbedding.read()).toEqual(before);
    dispose(run);
  });
});
