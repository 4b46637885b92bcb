// The parts of a training checkpoint (./checkpoint.ts) that need no file system and no node:crypto, so the
// browser bundle shares them: the format tag, tensor naming, the checksum's byte layout, tensor checks, and a
// model-only load from the file's bytes (parameters only; optimizer moments and random state are skipped).
import { parseSafetensors, type ReadTensor } from '../io/safetensors-format.js';
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';

/** Version 2: the SHA-256 covers the metadata (step, config, optimizer and random state) as well as the tensors. */
export const CHECKPOINT_FORMAT = 'medtrim-checkpoint/2';

/** SHA-256, hex, of the concatenation of the parts (node:crypto in Node, crypto.subtle in the browser). */
export type Sha256 = (parts: readonly Uint8Array[]) => Promise<string> | string;

export function bad(path: string, problem: string): never {
  throw new Error(`checkpoint ${path}: ${problem}`);
}

export function parseMeta<T>(path: string, metadata: Record<string, string>, key: string): T {
  const text = metadata[key];
  if (text === undefined) bad(path, `metadata has no '${key}'`);
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    bad(path, `metadata '${key}' is not valid JSON (${(err as Error).message})`);
  }
}

const byName = <T>([a]: [string, T], [b]: [string, T]) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * What the checksum covers: the metadata other than the checksum itself, as the JSON of its [key, value] pairs
 * in key order (unambiguous), then each tensor's name (UTF-8) and bytes, tensors in name order.
 */
export function checksumParts(
  tensors: Iterable<[string, ArrayBufferView]>,
  metadata: Record<string, string>,
): Uint8Array[] {
  const encoder = new TextEncoder();
  const meta = Object.entries(metadata)
    .filter(([key]) => key !== 'sha256')
    .sort(byName);
  return [
    encoder.encode(JSON.stringify(meta)),
    ...[...tensors]
      .sort(byName)
      .flatMap(([name, data]) => [encoder.encode(name), new Uint8Array(data.buffer, data.byteOffset, data.byteLength)]),
  ];
}

/** The first tensor holding a NaN or an infinity, as a one-line problem, or null. */
export function nonFiniteProblem(tensors: Iterable<[string, Float32Array]>): string | null {
  for (const [name, data] of tensors) {
    const i = data.findIndex((v) => !Number.isFinite(v));
    if (i >= 0) return `tensor '${name}' holds ${data[i]} at index ${i} (the run diverged)`;
  }
  return null;
}

export function parameterEntries(modules: Record<string, Module>): [string, Tensor][] {
  return Object.entries(modules).flatMap(([moduleName, m]) =>
    [...m.namedParameters()].map(([name, t]): [string, Tensor] => [`param/${moduleName}.${name}`, t]),
  );
}

/** Every expected tensor is present as F32 with the model's shape; other names are errors unless `optional` says so. */
export function checkTensors(
  path: string,
  tensors: Map<string, ReadTensor>,
  expected: [string, Tensor][],
  optional: (name: string) => boolean = () => false,
): void {
  const wanted = new Set(expected.map(([name]) => name));
  const extra = [...tensors.keys()].filter((n) => !wanted.has(n) && !optional(n));
  if (extra.length)
    bad(path, `unexpected tensors ${extra.slice(0, 5).join(', ')} (a checkpoint of a different model?)`);
  for (const [name, t] of expected) {
    const found = tensors.get(name);
    if (!found) bad(path, `tensor '${name}' is missing (a checkpoint of a different model?)`);
    if (found.dtype !== 'F32') bad(path, `tensor '${name}' is ${found.dtype}, checkpoints hold F32`);
    if (found.shape.join(',') !== t.shape.join(','))
      bad(path, `tensor '${name}' has shape [${found.shape.join(', ')}], the model has [${t.shape.join(', ')}]`);
  }
}

/** Checks the format tag, then the SHA-256 over metadata and tensors: run before trusting anything in the file. */
export async function verifyChecksum(
  path: string,
  tensors: Map<string, ReadTensor>,
  metadata: Record<string, string>,
  sha256: Sha256,
): Promise<void> {
  if (metadata.format !== CHECKPOINT_FORMAT) {
    const old =
      metadata.format === 'medtrim-checkpoint/1'
        ? ' (an older checkpoint whose checksum does not cover its metadata: retrain)'
        : '';
    bad(path, `format is ${JSON.stringify(metadata.format)}, expected '${CHECKPOINT_FORMAT}'${old}`);
  }
  const parts = checksumParts(
    [...tensors].map(([name, t]) => [name, t.data]),
    metadata,
  );
  if ((await sha256(parts)) !== metadata.sha256)
    bad(path, 'tensor data or metadata does not match its SHA-256 checksum (corrupted or edited file)');
}

/** Refuses a checkpoint holding NaN or infinite values (a diverged run), naming the first such tensor. */
export function checkFinite(path: string, tensors: Map<string, ReadTensor>, names: Iterable<string>): void {
  const problem = nonFiniteProblem([...names].map((name) => [name, tensors.get(name)!.data as Float32Array]));
  if (problem) bad(path, `${problem}; retrain with a lower --lr`);
}

/** The step of a checkpoint's metadata, checked. */
export function checkpointStep(path: string, metadata: Record<string, string>): number {
  const step = Number(metadata.step);
  if (!Number.isSafeInteger(step) || step < 0) bad(path, `step ${JSON.stringify(metadata.step)} is not a count`);
  return step;
}

/**
 * Loads only the modules' parameters from a checkpoint file's bytes (optimizer state is skipped), after
 * checking format, the SHA-256 of metadata and tensors, names, shapes and finiteness; returns the saved step and config.
 */
export async function loadModelFromBytes(
  bytes: Uint8Array,
  path: string,
  modules: Record<string, Module>,
  sha256: Sha256,
): Promise<{ step: number; config: unknown }> {
  let content: ReturnType<typeof parseSafetensors>;
  try {
    content = parseSafetensors(bytes, path);
  } catch (err) {
    bad(path, (err as Error).message);
  }
  const { tensors, metadata } = content;
  await verifyChecksum(path, tensors, metadata, sha256);
  const step = checkpointStep(path, metadata);
  const config = parseMeta<unknown>(path, metadata, 'config');
  const entries = parameterEntries(modules);
  checkTensors(path, tensors, entries, (name) => name.startsWith('adamw/'));
  checkFinite(
    path,
    tensors,
    entries.map(([name]) => name),
  );
  for (const [name, t] of entries) t.runtime.upload(t, tensors.get(name)!.data as Float32Array);
  return { step, config };
}
