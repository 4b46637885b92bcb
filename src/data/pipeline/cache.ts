// The resized-image cache on disk: one file of 16-bit pixels per (image file, its size and mtime, output
// size, fit), so a later epoch, an evaluation or a second run reads size² × 2 bytes instead of decoding a
// full film. A file of the wrong length (a torn write, another version) counts as a miss.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, type Stats, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ImageFit } from './fit.js';

export class ImageCache {
  constructor(
    readonly dir: string,
    readonly size: number,
    readonly fit: ImageFit,
  ) {}

  private entry(imagePath: string): string | null {
    let stat: Stats;
    try {
      stat = statSync(imagePath);
    } catch {
      return null; // the decoder will report the file
    }
    const key = createHash('sha1')
      .update(`${resolve(imagePath)}\0${stat.size}\0${stat.mtimeMs}\0${this.size}\0${this.fit}`)
      .digest('hex');
    return join(this.dir, key.slice(0, 2), `${key}.u16`);
  }

  read(imagePath: string): Float32Array | null {
    const path = this.entry(imagePath);
    if (!path) return null;
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch {
      return null;
    }
    if (bytes.length !== this.size * this.size * 2) return null;
    const out = new Float32Array(this.size * this.size);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    for (let i = 0; i < out.length; i++) out[i] = view.getUint16(2 * i, true) / 65535;
    return out;
  }

  write(imagePath: string, pixels: Float32Array): void {
    const path = this.entry(imagePath);
    if (!path) return;
    const bytes = Buffer.alloc(pixels.length * 2);
    for (let i = 0; i < pixels.length; i++) bytes.writeUInt16LE(Math.round(pixels[i]! * 65535), 2 * i);
    mkdirSync(join(path, '..'), { recursive: true });
    const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  }
}
