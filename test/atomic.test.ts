import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../src/io/atomic.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'medtrim-atomic-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('writeFileAtomic', () => {
  it('creates and replaces files with exactly the given bytes', async () => {
    const target = join(dir, 'ckpt.bin');
    await writeFileAtomic(target, 'first version');
    expect(readFileSync(target, 'utf8')).toBe('first version');
    await writeFileAtomic(target, new Uint8Array([1, 2, 3, 250]));
    expect([...readFileSync(target)]).toEqual([1, 2, 3, 250]);
    expect(readdirSync(dir)).toEqual(['ckpt.bin']);
  });

  it('writes chunks from a sync or async producer in order', async () => {
    const target = join(dir, 'chunks.bin');
    await writeFileAtomic(target, [new Uint8Array([1]), new Uint8Array([2, 3])]);
    expect([...readFileSync(target)]).toEqual([1, 2, 3]);
    async function* produce() {
      for (let i = 0; i < 4; i++) yield new Uint8Array(100_000).fill(i);
    }
    await writeFileAtomic(target, produce());
    const bytes = readFileSync(target);
    expect(bytes.length).toBe(400_000);
    expect([bytes[0], bytes[150_000], bytes[250_000], bytes[399_999]]).toEqual([0, 1, 2, 3]);
  });

  it('keeps the old file and leaves no temp file when the producer throws midway', async () => {
    const target = join(dir, 'model.safetensors');
    writeFileSync(target, 'old checkpoint');
    async function* failing() {
      yield new Uint8Array(1000).fill(7);
      throw new Error('producer broke');
    }
    await expect(writeFileAtomic(target, failing())).rejects.toThrow('producer broke');
    expect(readFileSync(target, 'utf8')).toBe('old checkpoint');
    expect(readdirSync(dir)).toEqual(['model.safetensors']);
  });

  it('rejects non-byte chunks without touching the target', async () => {
    const target = join(dir, 'x.bin');
    writeFileSync(target, 'keep');
    await expect(writeFileAtomic(target, ['oops' as unknown as Uint8Array])).rejects.toThrow(/Uint8Array/);
    expect(readFileSync(target, 'utf8')).toBe('keep');
    expect(readdirSync(dir)).toEqual(['x.bin']);
  });

  it('names the target when the directory does not exist', async () => {
    const target = join(dir, 'missing', 'f.bin');
    await expect(writeFileAtomic(target, 'x')).rejects.toThrow(`cannot write ${target}`);
  });

  it('leaves the old file intact when the rename fails (target is a directory)', async () => {
    const target = join(dir, 'adir');
    await writeFileAtomic(join(dir, 'adir-sibling'), 'a');
    mkdirSync(target);
    writeFileSync(join(target, 'inside'), 'kept');
    await expect(writeFileAtomic(target, 'replacement')).rejects.toThrow(`cannot write ${target}`);
    expect(readFileSync(join(target, 'inside'), 'utf8')).toBe('kept');
    expect(readdirSync(dir).sort()).toEqual(['adir', 'adir-sibling']);
  });
});
