// `medtrim train --data` end to end, through the CLI in child processes on the project's adapter: a manifest
// written by `medtrim data generate` trains and evaluates, and eval / search / embed work on the run; a
// manifest without splits is split by patient, recorded in splits.csv, and reused by eval (also after the data
// moved, with --data); real-size 1024² 16-bit PNGs train.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { parseSplits } from '../../src/data/splits.js';
import { acquireGpu } from '../../src/gpu/device.js';
import { Runtime } from '../../src/gpu/runtime.js';
import { saveCheckpoint } from '../../src/train/checkpoint.js';
import { createRun, openRun, readLog, train } from '../../src/train/run.js';
import { createSyntheticDataset } from '../../src/data/synthetic/dataset.js';
import { writeManifest } from '../helpers/manifest.js';

function medtrim(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, ['bin/medtrim.js', ...args], { encoding: 'utf8' });
}

const TRAIN = ['--steps', '3', '--batch-size', '8', '--quiet'];

// Training on files is the same on every adapter (the kernels are checked on both elsewhere); llvmpipe only.
describe.runIf(process.env.MEDTRIM_BACKEND === 'gles')('medtrim train --data', () => {
  it('trains and evaluates on a manifest written by medtrim data generate; eval, search and embed use the run', () => {
    const root = mkdtempSync(join(tmpdir(), 'medtrim-real-'));
    const gen = medtrim('data', 'generate', '--out', join(root, 'data'), '--count', '80', '--size', '32');
    expect(gen.status, gen.stderr).toBe(0);
    const run = join(root, 'run');
    const trained = medtrim(
      'train',
      '--data',
      join(root, 'data', 'manifest.csv'),
      '--out',
      run,
      ...TRAIN,
      '--eval-limit',
      '4',
    );
    expect(trained.status, trained.stderr).toBe(0);
    expect(trained.stderr).toContain(`data: manifest ${join(root, 'data', 'manifest.csv')} (80 images)`);
    expect(trained.stdout).toMatch(/4 test samples/);
    const log = readFileSync(join(run, 'log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { dataWaitShare: number });
    expect(log.at(-1)!.dataWaitShare).toBeGreaterThanOrEqual(0);
    expect(log.at(-1)!.dataWaitShare).toBeLessThanOrEqual(1);
    // The manifest's own splits (from the generator) are the run's.
    const splits = parseSplits(readFileSync(join(run, 'splits.csv'), 'utf8'), 'splits.csv');
    const manifestRows = readFileSync(join(root, 'data', 'manifest.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; split: string });
    expect(manifestRows.map((r) => splits.get(r.id))).toEqual(manifestRows.map((r) => r.split));
    expect(readFileSync(join(run, 'entities.jsonl'), 'utf8').trim().split('\n').length).toBeGreaterThan(8);

    const evaluated = medtrim('eval', '--run', run, '--limit', '6');
    expect(evaluated.status, evaluated.stderr).toBe(0);
    expect(evaluated.stdout).toMatch(/6 test samples/);
    const search = medtrim('search', '--run', run, '--text', 'small left pleural effusion', '--k', '3');
    expect(search.status, search.stderr).toBe(0);
    const hits = search.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string });
    expect(hits).toHaveLength(3);
    for (const h of hits) expect(splits.get(h.id)).toBe('test');
    const embed = medtrim('embed', '--run', run, '--image', join(root, 'data', 'images', '07.png'));
    expect(embed.status, embed.stderr).toBe(0);
    const vector = JSON.parse(embed.stdout) as number[];
    expect(Math.hypot(...vector)).toBeCloseTo(1, 4);
  });

  it('splits a manifest without splits by patient, records it, and eval reuses it after the data moved', () => {
    const { root, manifest } = writeManifest(60, {
      row: (r, i) => ({ id: r.id, image: r.image, report: r.report, patient: `patient-${i % 17}` }),
    });
    const run = join(mkdtempSync(join(tmpdir(), 'medtrim-real-')), 'run');
    const trained = medtrim('train', '--data', manifest, '--out', run, ...TRAIN, '--no-eval');
    expect(trained.status, trained.stderr).toBe(0);
    const splits = parseSplits(readFileSync(join(run, 'splits.csv'), 'utf8'), 'splits.csv');
    expect(splits.size).toBe(60);
    const splitsOfPatient = new Map<string, Set<string>>();
    for (let i = 0; i < 60; i++)
      (
        splitsOfPatient.get(`patient-${i % 17}`) ??
        splitsOfPatient.set(`patient-${i % 17}`, new Set()).get(`patient-${i % 17}`)!
      ).add(splits.get(`synth-3-${i}`)!);
    expect([...splitsOfPatient.values()].every((s) => s.size === 1)).toBe(true);
    const testCount = [...splits.values()].filter((s) => s === 'test').length;
    expect(testCount).toBeGreaterThanOrEqual(2);

    const moved = `${root}-moved`;
    renameSync(root, moved);
    const lost = medtrim('eval', '--run', run);
    expect(lost.status).toBe(1);
    expect(lost.stderr).toContain(`medtrim eval: ${manifest}: no such file or folder`);
    const evaluated = medtrim('eval', '--run', run, '--data', join(moved, 'manifest.jsonl'));
    expect(evaluated.status, evaluated.stderr).toBe(0);
    expect(evaluated.stdout).toContain(`${testCount} test samples`);
  });

  it('trains on real-size 1024×1024 16-bit PNGs', () => {
    const root = mkdtempSync(join(tmpdir(), 'medtrim-1024-'));
    mkdirSync(join(root, 'images'));
    const ds = createSyntheticDataset({ seed: 5, size: 128, count: 4 });
    for (let k = 0; k < 4; k++) {
      const small = ds.sample(k).image;
      // Nearest-neighbour ×8 to 1024², as 16-bit gray.
      const big = Uint16Array.from({ length: 1024 * 1024 }, (_, i) =>
        Math.round(small[((i >> 10) >> 3) * 128 + ((i & 1023) >> 3)]! * 65535),
      );
      writeFileSync(
        join(root, 'images', `${k}.png`),
        encode({ width: 1024, height: 1024, data: big, channels: 1, depth: 16 }),
      );
    }
    const rows = Array.from({ length: 12 }, (_, i) => ({
      image: `images/${i % 4}.png`,
      report: ds.sample(i % 4).report,
      patient: `p${i}`,
      split: i < 10 ? 'train' : 'test',
    }));
    writeFileSync(
      join(root, 'manifest.jsonl'),
      rows.map((r) => JSON.stringify({ ...r, id: `row${r.patient}` })).join('\n') + '\n',
    );
    const run = join(root, 'run');
    const trained = medtrim(
      'train',
      '--data',
      join(root, 'manifest.jsonl'),
      '--out',
      run,
      '--steps',
      '2',
      '--batch-size',
      '4',
      '--quiet',
      '--eval-limit',
      '2',
    );
    expect(trained.status, trained.stderr).toBe(0);
    expect(trained.stdout).toMatch(/2 test samples/);
  });

  it('a run on files with augmentation and prefetching workers resumes with the same losses as a run that never stopped', async () => {
    const { manifest } = writeManifest(40, { row: (r, i) => ({ ...r, split: i < 32 ? 'train' : 'test' }) });
    const gpu = await acquireGpu();
    try {
      const rt = new Runtime(gpu);
      const settings = {
        data: manifest,
        augment: true,
        dataWorkers: 2,
        steps: 6,
        batchSize: 8,
        warmupSteps: 1,
        logEvery: 1,
        checkpointEvery: 0,
      };
      const whole = mkdtempSync(join(tmpdir(), 'medtrim-real-resume-'));
      const first = await createRun(rt, whole, settings);
      await train(first);
      await first.data.dataset.close?.();
      // The same run stopped after step 3 (checkpoint written, as checkpointEvery would) and reopened.
      const stopped = mkdtempSync(join(tmpdir(), 'medtrim-real-resume-'));
      const part = await createRun(rt, stopped, settings);
      await part.trainer.run({
        until: 3,
        onLog: (log) => writeFileSync(join(stopped, 'log.jsonl'), JSON.stringify(log) + '\n', { flag: 'a' }),
      });
      await saveCheckpoint(join(stopped, 'checkpoint.safetensors'), {
        step: 3,
        config: part.config,
        modules: { model: part.model },
        optimizer: part.trainer.optimizer,
        random: { imageDropout: part.model.image.dropoutStream, textDropout: part.model.text.dropoutStream },
      });
      await part.data.dataset.close?.();
      const resumed = await openRun(rt, stopped);
      expect(resumed.trainer.step).toBe(3);
      await train(resumed);
      await resumed.data.dataset.close?.();
      expect(readLog(stopped).map((l) => [l.step, l.loss])).toEqual(readLog(whole).map((l) => [l.step, l.loss]));
    } finally {
      gpu.release();
    }
  });
});
