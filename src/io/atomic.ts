// Crash-safe file replacement: the bytes go to a temporary file in the target's directory (same file
// system, so the final rename is atomic), are fsynced, and only then renamed over the target. A crash or
// an error at any point leaves either the old file or the complete new one, never a torn checkpoint.
import { randomBytes } from 'node:crypto';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** What writeFileAtomic accepts: the whole content, or chunks produced one by one (large checkpoints). */
export type AtomicData = string | Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

function isFsError(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).syscall === 'string';
}

async function writeChunk(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  let done = 0;
  while (done < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, done, chunk.length - done);
    done += bytesWritten;
  }
}

async function writeAll(handle: FileHandle, data: AtomicData): Promise<void> {
  if (typeof data === 'string') return writeChunk(handle, Buffer.from(data, 'utf8'));
  if (data instanceof Uint8Array) return writeChunk(handle, data);
  for await (const chunk of data) {
    if (!(chunk instanceof Uint8Array)) throw new TypeError('writeFileAtomic: data chunks must be Uint8Arrays');
    await writeChunk(handle, chunk);
  }
}

// Makes the rename itself durable. Some platforms cannot open or fsync a directory; there the rename is
// still atomic, only its durability across power loss is up to the OS.
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // see above: best effort only
  } finally {
    await handle?.close();
  }
}

/**
 * Replaces `path` with `data` atomically. If writing fails (including when a chunk producer throws), the
 * temporary file is removed, the previous content of `path` is untouched, and the error is rethrown
 * (file-system errors are wrapped in an Error naming `path`).
 */
export async function writeFileAtomic(path: string, data: AtomicData): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: FileHandle | undefined;
  try {
    handle = await open(tmp, 'wx');
    await writeAll(handle, data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(tmp, path);
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    if (isFsError(err)) throw new Error(`cannot write ${path}: ${err.message}`, { cause: err });
    throw err;
  }
  await syncDirectory(dir);
}
