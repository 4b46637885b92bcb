// Image files on the Node side: read, prepared as src/data/pipeline/fit.ts prepares bytes, errors naming the file.
import { readFileSync } from 'node:fs';
import { prepareImage, type ImageFit } from './fit.js';

/** prepareImage on a file; the error names the file. */
export function loadImageFile(path: string, size: number, fit: ImageFit): Float32Array {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new Error(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    return prepareImage(bytes, size, fit);
  } catch (err) {
    throw new Error(`${path}: ${((err as Error).message ?? String(err)).split('\n')[0]}`);
  }
}
