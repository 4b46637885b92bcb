// safetensors files on disk: the format itself (parsing, validation, serialisation) lives in
// ./safetensors-format.ts, re-exported here; this module adds reading a file header-first and writing atomically.
import { open, type FileHandle } from 'node:fs/promises';
import { writeFileAtomic } from './atomic.js';
import {
  decodeAll,
  fail,
  headerLength,
  parseHeader,
  serializeSafetensors,
  type SafetensorsContent,
  type WriteTensor,
} from './safetensors-format.js';

export * from './safetensors-format.js';

async function readAt(handle: FileHandle, length: number, position: number, path: string): Promise<Uint8Array> {
  const bytes = new Uint8Array(length);
  const { bytesRead } = await handle.read(bytes, 0, length, position);
  if (bytesRead !== length)
    fail(path, `file changed while reading (got ${bytesRead} of ${length} bytes at ${position})`);
  return bytes;
}

/** Reads a safetensors file; the header is read and validated before the data is. */
export async function readSafetensors(path: string): Promise<SafetensorsContent> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw new Error(`${path}: cannot open safetensors file (${(err as Error).message})`, { cause: err });
  }
  try {
    const fileBytes = (await handle.stat()).size;
    const n = headerLength(await readAt(handle, Math.min(8, fileBytes), 0, path), fileBytes, path);
    const dataBytes = fileBytes - 8 - n;
    const header = parseHeader(await readAt(handle, n, 8, path), dataBytes, path);
    return decodeAll(header, await readAt(handle, dataBytes, 8 + n, path), path);
  } finally {
    await handle.close();
  }
}

/** Writes a safetensors file atomically (a crash leaves the old file or the complete new one). */
export async function writeSafetensors(
  path: string,
  tensors: Record<string, WriteTensor>,
  metadata?: Record<string, string>,
): Promise<void> {
  await writeFileAtomic(path, serializeSafetensors(tensors, metadata));
}
