// Image decoding on hostile files: no pixels, a decompression bomb, truncation, corrupt data. Each must
// give a one-line reason (never NaN pixels, never the decoder's internal message) within bounded memory.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode as encodePng } from 'fast-png';
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { decodeImage, maxImagePixels } from '../src/data/image.js';
import { loadImageFile } from '../src/data/pipeline/image-file.js';
import { pngOf } from './helpers/png.js';

function jpegBytes(w: number, h: number): Uint8Array {
  return jpeg.encode({ data: new Uint8Array(w * h * 4).fill(128), width: w, height: h }, 90).data;
}

/** The JPEG with its SOF0 frame size replaced. */
function withJpegSize(bytes: Uint8Array, width: number, height: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  for (let i = 2; i + 9 < out.length; i++) {
    if (out[i] === 0xff && out[i + 1] === 0xc0) {
      out.set([height >> 8, height & 0xff, width >> 8, width & 0xff], i + 5);
      return out;
    }
  }
  throw new Error('no SOF0 marker');
}

describe('degenerate and hostile images', () => {
  it('refuses a 0×0 PNG and JPEG with a reason instead of an image of no pixels', () => {
    expect(() => decodeImage(pngOf({ width: 0, height: 0, colorType: 0, scanlines: new Uint8Array(0) }))).toThrow(
      /^PNG of 0×0 pixels has no image in it$/,
    );
    expect(() => decodeImage(pngOf({ width: 5, height: 0, colorType: 0, scanlines: new Uint8Array(0) }))).toThrow(
      /PNG of 5×0 pixels/,
    );
    expect(() => decodeImage(withJpegSize(jpegBytes(8, 8), 0, 8))).toThrow(/^JPEG of 0×8 pixels has no image in it$/);
  });

  it('refuses a PNG bomb from its IHDR before decoding (a small file of 8000×8000 pixels)', () => {
    const side = 8000;
    const bomb = pngOf({ width: side, height: side, colorType: 0, scanlines: new Uint8Array((side + 1) * side) });
    expect(bomb.length).toBeLessThan(200_000);
    expect(side * side).toBeGreaterThan(maxImagePixels);
    const before = process.memoryUsage().arrayBuffers;
    expect(() => decodeImage(bomb)).toThrow(/^PNG of 8000×8000 pixels is over the 50-megapixel limit for an image$/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
  });

  it('refuses a JPEG whose frame is over the pixel limit', () => {
    expect(() => decodeImage(withJpegSize(jpegBytes(8, 8), 30000, 30000))).toThrow(
      /^JPEG of 30000×30000 pixels is over the 50-megapixel limit/,
    );
  });

  it('turns truncation and corruption into one-line reasons without the decoder internals', () => {
    const png = encodePng({
      width: 64,
      height: 64,
      data: new Uint8Array(64 * 64).map((_, i) => i),
      channels: 1,
      depth: 8,
    });
    const cases: Array<[Uint8Array, RegExp]> = [
      [png.subarray(0, 20), /^truncated or corrupt PNG \(no IHDR header\)$/],
      [png.subarray(0, 60), /^(truncated or )?corrupt PNG data/],
      [Uint8Array.from(png).fill(0x41, 41, 80), /^(truncated or )?corrupt PNG data/],
      [jpegBytes(32, 32).subarray(0, 200), /^(truncated or )?corrupt JPEG data/],
    ];
    for (const [bytes, reason] of cases) {
      let message = '';
      try {
        const img = decodeImage(bytes);
        message = `decoded ${img.width}×${img.height}`;
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(reason);
      expect(message).not.toMatch(/DataView|Offset is outside|\n/);
    }
  });

  it('refuses palette indices past the palette instead of giving NaN pixels', () => {
    const png = pngOf({
      width: 2,
      height: 1,
      colorType: 3,
      palette: [[10, 20, 30]],
      scanlines: Uint8Array.from([0, 0, 5]),
    });
    expect(() => decodeImage(png)).toThrow(/^corrupt PNG data \(Incorrect index of palette color\)$/);
  });
});

describe('help text', () => {
  it.each(['search', 'embed'])('medtrim %s --help states the pixel limit', (command) => {
    const out = spawnSync(process.execPath, [join(import.meta.dirname, '..', 'bin', 'medtrim.js'), command, '--help'], {
      encoding: 'utf8',
    }).stdout;
    expect(out).toMatch(
      /An image over 50 megapixels \(read from its PNG\/JPEG header\) or with no pixels is\s+refused before decoding/,
    );
  });
});

describe('a data set with hostile images', () => {
  it('refuses each with one line naming the file and the problem', () => {
    const dir = mkdtempSync(join(tmpdir(), 'medtrim-images-'));
    const empty = join(dir, 'empty.png');
    const bomb = join(dir, 'bomb.png');
    writeFileSync(empty, pngOf({ width: 0, height: 0, colorType: 0, scanlines: new Uint8Array(0) }));
    writeFileSync(bomb, pngOf({ width: 30000, height: 30000, colorType: 0, scanlines: new Uint8Array(30001) }));
    expect(() => loadImageFile(empty, 32, 'pad')).toThrow(`${empty}: PNG of 0×0 pixels has no image in it`);
    expect(() => loadImageFile(bomb, 32, 'pad')).toThrow(
      `${bomb}: PNG of 30000×30000 pixels is over the 50-megapixel limit for an image`,
    );
    rmSync(dir, { recursive: true, force: true });
  });
});
