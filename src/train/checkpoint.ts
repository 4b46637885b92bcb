// Training checkpoints: one safetensors file written atomically (src/io/atomic.ts: a crash or error leaves
// the previous checkpoint or the complete new one). Tensors: every module parameter (`param/<module>.<name>`)
// and AdamW's first and second moments (`adamw/m`, `adamw/v`, flat in the optimizer's parameter order).
// __metadata__: format, step, the caller's config (JSON), AdamW's settings and step count, the state of each
// named random source, and a SHA-256 over all of that metadata and all tensor bytes (so an edited step or
// config is detected like a flipped tensor bit). A checkpoint is never written with, and never loaded with, a
// NaN or infinite value (a diverged run keeps its last good checkpoint). Loading validates all of it — format,
// checksum, names, shapes, finiteness, optimizer layout and settings, random sources — before anything is
// overwritten, so a bad file leaves the model and optimizer untouched, and restores exactly: a resumed run
// computes the same next losses as one that never stopped.
import { createHash } from 'node:crypto';
import type { Rng } from '../util/rng.js';
import { readSafetensors, writeSafetensors, type WriteTensor } from '../io/safetensors.js';
import { DropoutStream } from '../models/transformer.js';
import type { Module } from '../nn/module.js';
import type { AdamW } from '../ops/optim.js';
import { Tensor } from '../tensor/tensor.js';
import {
  bad,
  checkFinite,
  checkpointStep,
  checksumParts,
  checkTensors,
  CHECKPOINT_FORMAT,
  nonFiniteProblem,
  parameterEntries,
  parseMeta,
  verifyChecksum,
} from './checkpoint-model.js';

export { CHECKPOINT_FORMAT };

/** Randomness whose state a checkpoint carries: sfc32 generators (data order, augmentation) and dropout streams. */
export type RandomSource = Rng | DropoutStream;

export interface CheckpointState {
  step: number;
  /** Model/training configuration (JSON-serialisable); on load, a given config must equal the saved one. */
  config: unknown;
  /** Modules by name (e.g. { image: vit, text: bert }); parameters are stored as `<name>.<parameter>`. */
  modules: Record<string, Module>;
  optimizer: AdamW;
  random: Record<string, RandomSource>;
}

interface AdamWRecord {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  maxGradNorm: number;
  steps: number;
  sizes: number[];
}

interface RandomRecord {
  kind: 'rng' | 'dropout';
  state: number[];
}

// ---- access to state the engine's classes keep private (AdamW's moments, sfc32's words). They have no
// public accessors yet; these checks make a future rename fail loudly here rather than save garbage.

function adamwMoments(opt: AdamW): { m: Tensor; v: Tensor } {
  const { m, v } = opt as unknown as { m?: unknown; v?: unknown };
  if (!(m instanceof Tensor) || !(v instanceof Tensor))
    throw new Error('checkpoint: AdamW no longer holds its moments in fields m and v; update src/train/checkpoint.ts');
  return { m, v };
}

type Sfc32Words = { a: number; b: number; c: number; d: number };
const SFC32_FIELDS = ['a', 'b', 'c', 'd'] as const;

function sfc32(rng: Rng): Sfc32Words {
  const words = rng as unknown as Sfc32Words;
  if (!SFC32_FIELDS.every((f) => typeof words[f] === 'number'))
    throw new Error('checkpoint: Rng no longer keeps its state in fields a, b, c, d; update src/train/checkpoint.ts');
  return words;
}

function randomRecord(source: RandomSource): RandomRecord {
  if (source instanceof DropoutStream) return { kind: 'dropout', state: [source.seed, source.calls] };
  const words = sfc32(source);
  return { kind: 'rng', state: SFC32_FIELDS.map((f) => words[f]) };
}

// ---- saving

function sha256(parts: readonly Uint8Array[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}

function adamwRecord(opt: AdamW): AdamWRecord {
  const { lr, beta1, beta2, eps, weightDecay, maxGradNorm, steps } = opt;
  return { lr, beta1, beta2, eps, weightDecay, maxGradNorm, steps, sizes: opt.params.map((p) => p.size) };
}

/** Reads everything back from the GPU and writes the checkpoint atomically. */
export async function saveCheckpoint(path: string, state: CheckpointState): Promise<void> {
  if (!Number.isSafeInteger(state.step) || state.step < 0)
    throw new Error(`saveCheckpoint: step must be a non-negative integer, got ${state.step}`);
  const { m, v } = adamwMoments(state.optimizer);
  const entries: [string, Tensor][] = [...parameterEntries(state.modules), ['adamw/m', m], ['adamw/v', v]];
  const data = new Map<string, Float32Array>();
  for (const [name, t] of entries) data.set(name, (await t.read()) as Float32Array);
  const problem = nonFiniteProblem(data);
  if (problem) bad(path, `not saving step ${state.step}: ${problem}; the file is left as it was`);
  const tensors: Record<string, WriteTensor> = {};
  for (const [name, t] of entries) tensors[name] = { dtype: 'F32', shape: [...t.shape], data: data.get(name)! };
  const random = Object.fromEntries(Object.entries(state.random).map(([name, source]) => [name, randomRecord(source)]));
  const metadata: Record<string, string> = {
    format: CHECKPOINT_FORMAT,
    step: String(state.step),
    config: JSON.stringify(state.config),
    adamw: JSON.stringify(adamwRecord(state.optimizer)),
    random: JSON.stringify(random),
  };
  await writeSafetensors(path, tensors, { ...metadata, sha256: sha256(checksumParts(data, metadata)) });
}

// ---- loading

const sameNames = (a: Iterable<string>, b: Iterable<string>) =>
  JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

function checkAdamW(path: string, saved: AdamWRecord, opt: AdamW): void {
  if (!isObject(saved)) bad(path, "metadata 'adamw' is not an object");
  const now = adamwRecord(opt);
  if (saved.sizes?.join(',') !== now.sizes.join(','))
    bad(
      path,
      `the optimizer's parameters differ (saved ${saved.sizes?.length} tensors, this optimizer has ${now.sizes.length} — frozen layers changed?)`,
    );
  for (const key of ['beta1', 'beta2', 'eps', 'weightDecay', 'maxGradNorm'] as const) {
    if (saved[key] !== now[key]) bad(path, `AdamW ${key} was ${saved[key]}, this optimizer has ${now[key]}`);
  }
  if (!Number.isSafeInteger(saved.steps) || saved.steps < 0) bad(path, `AdamW steps ${saved.steps} is not a count`);
  if (!(typeof saved.lr === 'number' && saved.lr >= 0)) bad(path, `AdamW lr ${saved.lr} is not a learning rate`);
}

function checkRandom(path: string, saved: Record<string, RandomRecord>, sources: Record<string, RandomSource>): void {
  if (!isObject(saved)) bad(path, "metadata 'random' is not an object");
  if (!sameNames(Object.keys(saved), Object.keys(sources)))
    bad(path, `random sources [${Object.keys(saved).join(', ')}] saved, [${Object.keys(sources).join(', ')}] given`);
  for (const [name, source] of Object.entries(sources)) {
    const record = saved[name];
    const expected = randomRecord(source);
    const words = isObject(record) ? record.state : undefined;
    if (
      record?.kind !== expected.kind ||
      !Array.isArray(words) ||
      words.length !== expected.state.length ||
      !words.every(Number.isSafeInteger)
    ) {
      bad(path, `random source '${name}' is not a saved ${expected.kind} state`);
    }
  }
}

function restoreRandom(saved: Record<string, RandomRecord>, sources: Record<string, RandomSource>): void {
  for (const [name, source] of Object.entries(sources)) {
    const state = saved[name]!.state;
    if (source instanceof DropoutStream) [source.seed, source.calls] = state as [number, number];
    else SFC32_FIELDS.forEach((f, i) => (sfc32(source)[f] = state[i]!));
  }
}

/**
 * Restores modules, optimizer and random sources from a checkpoint; returns the saved step and config.
 * Every check runs before anything is overwritten.
 */
export async function loadCheckpoint(
  path: string,
  target: Omit<CheckpointState, 'step' | 'config'> & { config?: unknown },
): Promise<{ step: number; config: unknown }> {
  const { tensors, metadata } = await readSafetensors(path).catch((err: Error) => bad(path, err.message));
  await verifyChecksum(path, tensors, metadata, sha256);
  const step = checkpointStep(path, metadata);
  const config = parseMeta<unknown>(path, metadata, 'config');
  if (target.config !== undefined && JSON.stringify(config) !== JSON.stringify(target.config))
    bad(path, `saved config ${JSON.stringify(config)} differs from the given ${JSON.stringify(target.config)}`);
  const { m, v } = adamwMoments(target.optimizer);
  const entries: [string, Tensor][] = [...parameterEntries(target.modules), ['adamw/m', m], ['adamw/v', v]];
  checkTensors(path, tensors, entries);
  checkFinite(
    path,
    tensors,
    entries.map(([name]) => name),
  );
  const adamw = parseMeta<AdamWRecord>(path, metadata, 'adamw');
  checkAdamW(path, adamw, target.optimizer);
  const random = parseMeta<Record<string, RandomRecord>>(path, metadata, 'random');
  checkRandom(path, random, target.random);

  for (const [name, t] of entries) t.runtime.upload(t, tensors.get(name)!.data as Float32Array);
  target.optimizer.steps = adamw.steps;
  target.optimizer.lr = adamw.lr;
  restoreRandom(random, target.random);
  return { step, config };
}
