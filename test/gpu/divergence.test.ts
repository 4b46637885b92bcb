// Divergence stops training loudly: the gradient and parameter norms that AdamW reduces on the GPU are read
// back with the loss at log intervals; a NaN or infinity in any of them stops the run at that log step with a
// one-line error, nothing of the diverged step is logged or checkpointed, and the last good checkpoint stays
// loadable. A checkpoint holding non-finite values is refused by eval and search.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AdamW } from '../../src/ops/optim.js';
import { tensorFrom } from '../../src/tensor/tensor.js';
import { readSafetensors, writeSafetensors } from '../../src/io/safetensors.js';
import { checksumParts } from '../../src/train/checkpoint-model.js';
import { DEFAULT_CONFIG } from '../../src/train/config.js';
import { checkDivergence, DivergenceError } from '../../src/train/divergence.js';
import { createRun, openRun, readLog, RUN_FILES, train } from '../../src/train/run.js';
import { gpuRuntime, randomData } from '../helpers/gpu.js';
import { createHash } from 'node:crypto';

const SHAPES = [[3], [17, 65], [4097]];
const norm = (xs: ArrayLike<number>[]) =>
  Math.sqrt(xs.reduce((s, x) => s + Array.from(x).reduce((t, v) => t + v * v, 0), 0));

describe('AdamW.recordNorms and checkDivergence', () => {
  for (const maxGradNorm of [0, 1]) {
    it(`report the gradient and parameter norms after a step (maxGradNorm ${maxGradNorm})`, async () => {
      const rt = await gpuRuntime();
      const params = SHAPES.map((s, i) =>
        tensorFrom(
          rt,
          randomData(
            s.reduce((a, b) => a * b, 1),
            10 + i,
            -1,
            1,
          ),
          s,
        ),
      );
      const opt = new AdamW(params, { lr: 0.01, maxGradNorm });
      const grads = params.map((p, i) => randomData(p.size, 20 + i, -2, 2));
      params.forEach((p, i) => (p.grad = tensorFrom(rt, grads[i]!, p.shape)));
      opt.step();
      opt.zeroGrad();
      const { gradNorm, paramNorm } = opt.recordNorms();
      const updated = await Promise.all(params.map((p) => p.read()));
      expect((await gradNorm.read())[0]).toBeCloseTo(norm(grads), 2);
      expect((await paramNorm.read())[0]).toBeCloseTo(norm(updated), 2);
      await expect(checkDivergence(opt, 0.5, 1)).resolves.toBeUndefined();
      await expect(checkDivergence(opt, NaN, 1)).rejects.toThrow(
        'training diverged at step 1: loss NaN (try a lower --lr)',
      );

      // One NaN gradient element: the gradient norm, and after the update the parameters, are non-finite.
      grads[1]![100] = NaN;
      params.forEach((p, i) => (p.grad = tensorFrom(rt, grads[i]!, p.shape)));
      opt.step();
      opt.zeroGrad();
      const err = await checkDivergence(opt, 0.5, 2).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DivergenceError);
      expect((err as Error).message).toMatch(/^training diverged at step 2: gradient norm NaN, parameter norm NaN/);

      // An infinite parameter with finite gradients.
      const fresh = SHAPES.map((s, i) =>
        tensorFrom(
          rt,
          randomData(
            s.reduce((a, b) => a * b, 1),
            30 + i,
            -1,
            1,
          ),
          s,
        ),
      );
      const opt2 = new AdamW(fresh, { lr: 0.01, maxGradNorm });
      const data = randomData(4097, 40, -1, 1);
      data[7] = Infinity;
      rt.upload(fresh[2]!, Float32Array.from(data));
      fresh.forEach((p, i) => (p.grad = tensorFrom(rt, randomData(p.size, 50 + i, -1, 1), p.shape)));
      opt2.step();
      opt2.zeroGrad();
      await expect(checkDivergence(opt2, 0.5, 3)).rejects.toThrow(
        /^training diverged at step 3: parameter norm (NaN|Infinity)/,
      );
      for (const o of [opt, opt2]) o.dispose();
      for (const p of [...params, ...fresh]) p.dispose();
    });
  }
});

const DIVERGING = { steps: 6, batchSize: 4, dataCount: 60, lr: 1e6, warmupSteps: 2, logEvery: 1, checkpointEvery: 1 };

describe('a diverging run', () => {
  it('stops at the first non-finite log step, keeping the last good checkpoint and a clean log', async () => {
    const rt = await gpuRuntime();
    const dir = join(mkdtempSync(join(tmpdir(), 'medtrim-diverge-')), 'run');
    const run = await createRun(rt, dir, DIVERGING);
    const err = (await train(run).then(
      () => null,
      (e: unknown) => e,
    )) as Error;
    expect(err).toBeInstanceOf(Error);
    const match =
      /^training diverged at step (\d+): .*(NaN|Infinity).* \(try a lower --lr\); (.*) keeps the last good step, (\d+)$/.exec(
        err.message,
      );
    expect(match, err.message).not.toBeNull();
    const [stopped, kept] = [Number(match![1]), Number(match![4])];
    expect(kept).toBe(stopped - 1);
    expect(stopped).toBeLessThan(DIVERGING.steps);
    expect(readLog(dir).map((e) => e.step)).toEqual(Array.from({ length: kept }, (_, i) => i + 1));
    expect(readFileSync(join(dir, RUN_FILES.log), 'utf8')).not.toContain('null');
    // null is how config.json says a path setting is absent (data, vocabFile…); a number is never null.
    const saved = JSON.parse(readFileSync(join(dir, RUN_FILES.config), 'utf8')) as Record<string, unknown>;
    for (const [key, fallback] of Object.entries(DEFAULT_CONFIG))
      if (typeof fallback === 'number') expect(Number.isFinite(saved[key]), key).toBe(true);
    const reopened = await openRun(rt, dir);
    expect(reopened.trainer.step).toBe(kept);
  });

  // The commands themselves; the error paths are the same on every adapter (the kernels' NaN handling is
  // checked on both above), and each command start costs seconds on SwiftShader, so these run on llvmpipe.
  describe.runIf(process.env.MEDTRIM_BACKEND === 'gles')('the commands', () => {
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ['bin/medtrim.js', ...args], { encoding: 'utf8', timeout: 120_000 });
    const ourLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('medtrim '));

    it('medtrim train --lr 1e6 exits 1 with one line naming the step and the kept checkpoint', () => {
      const dir = join(mkdtempSync(join(tmpdir(), 'medtrim-diverge-')), 'run');
      const r = cli(
        'train',
        '--no-eval',
        '--quiet',
        '--steps',
        '6',
        '--batch-size',
        '8',
        '--data-count',
        '60',
        '--lr',
        '1e6',
        '--out',
        dir,
      );
      expect(r.status, r.stderr).toBe(1);
      const lines = ourLines(r.stderr);
      expect(lines.at(-1)).toMatch(
        /^medtrim train: training diverged at step 6: .* \(try a lower --lr\); no checkpoint was written$/,
      );
    });

    it('eval and search refuse a checkpoint holding NaN', async () => {
      const rt = await gpuRuntime();
      const dir = join(mkdtempSync(join(tmpdir(), 'medtrim-diverge-')), 'run');
      await train(await createRun(rt, dir, { steps: 1, batchSize: 4, dataCount: 60, checkpointEvery: 1 }));
      // Poison the checkpoint as an older medtrim would have saved a diverged run: well-formed and checksummed.
      const path = join(dir, RUN_FILES.checkpoint);
      const { tensors, metadata } = await readSafetensors(path);
      const data = new Map([...tensors].map(([name, t]) => [name, Float32Array.from(t.data as Float32Array)]));
      const poisoned = [...data.keys()].find((n) => n.startsWith('param/'))!;
      data.get(poisoned)!.fill(NaN);
      const { sha256: _, ...rest } = metadata;
      const hash = createHash('sha256');
      for (const part of checksumParts(data, rest)) hash.update(part);
      await writeSafetensors(
        path,
        Object.fromEntries(
          [...tensors].map(([n, t]) => [n, { dtype: 'F32' as const, shape: t.shape, data: data.get(n)! }]),
        ),
        { ...rest, sha256: hash.digest('hex') },
      );
      for (const args of [
        ['eval', '--run', dir],
        ['search', '--run', dir, '--text', 'small left pleural effusion'],
        ['embed', '--run', dir, '--text', 'x'],
      ]) {
        const r = cli(...args);
        expect(r.status, r.stderr).toBe(1);
        expect(r.stdout).toBe('');
        expect(ourLines(r.stderr)).toEqual([
          expect.stringMatching(
            new RegExp(
              `^medtrim ${args[0]}: checkpoint .*: tensor '${poisoned.replace(/[.]/g, '\\.')}' holds NaN at index 0 \\(the run diverged\\); retrain with a lower --lr$`,
            ),
          ),
        ]);
      }
    });
  });
});
