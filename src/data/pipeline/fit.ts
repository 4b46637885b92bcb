// From an image file to the encoder's input: decoded to grayscale (src/data/image.ts), fitted into a square
// with its aspect kept — `pad`: the whole film, scaled so its longer side fills the square, centred, the
// margins black; `crop`: the centred square of the shorter side. Before fitting, the film is stretched to
// [0, 1] between its darkest and brightest pixel (films come with any windowing and bit depth); after, the
// pixels are quantised to 16 bits, the precision the disk cache keeps, so a cached image equals a freshly
// decoded one.
import { bilinear, decodeImage, resizeSquare, type GrayImage } from '../image.js';

export type ImageFit = 'pad' | 'crop';
export const IMAGE_FITS: readonly ImageFit[] = ['pad', 'crop'];

/** Mean of the source pixels under the output pixel [x, x + w) × [y, y + h) (fractional edges weighted). */
function boxMean(img: GrayImage, x: number, y: number, w: number, h: number): number {
  let sum = 0;
  let weight = 0;
  for (let sy = Math.floor(y); sy < Math.ceil(y + h); sy++) {
    const wy = Math.min(sy + 1, y + h) - Math.max(sy, y);
    const row = Math.min(img.height - 1, sy) * img.width;
    for (let sx = Math.floor(x); sx < Math.ceil(x + w); sx++) {
      const wx = Math.min(sx + 1, x + w) - Math.max(sx, x);
      sum += wx * wy * img.data[row + Math.min(img.width - 1, sx)]!;
      weight += wx * wy;
    }
  }
  return sum / weight;
}

/** The whole image scaled into size×size, centred, aspect kept, margins 0. */
function padSquare(img: GrayImage, size: number): Float32Array {
  const scale = Math.max(img.width, img.height) / size;
  const w = Math.max(1, Math.round(img.width / scale));
  const h = Math.max(1, Math.round(img.height / scale));
  const left = Math.floor((size - w) / 2);
  const top = Math.floor((size - h) / 2);
  const sx = img.width / w;
  const sy = img.height / h;
  const out = new Float32Array(size * size);
  for (let row = 0; row < h; row++) {
    for (let col = 0; col < w; col++) {
      out[(top + row) * size + left + col] =
        sx > 1 || sy > 1
          ? boxMean(img, col * sx, row * sy, sx, sy)
          : bilinear(img, (col + 0.5) * sx - 0.5, (row + 0.5) * sy - 0.5);
    }
  }
  return out;
}

export function fitSquare(img: GrayImage, size: number, fit: ImageFit): Float32Array {
  if (img.width < 1 || img.height < 1) throw new Error(`image is ${img.width}×${img.height} pixels`);
  return fit === 'crop' ? resizeSquare(img, size) : padSquare(img, size);
}

/** Stretches to [0, 1] between the extremes (a flat image becomes 0). */
export function normaliseIntensity(img: GrayImage): GrayImage {
  const src = img.data;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const range = hi - lo;
  const data = new Float32Array(src.length);
  if (range > 1e-8) for (let i = 0; i < src.length; i++) data[i] = (src[i]! - lo) / range;
  return { ...img, data };
}

/** Rounds [0, 1] values to 1/65535 steps, what the cache stores. */
export function quantise16(image: Float32Array): Float32Array {
  return image.map((v) => Math.round(Math.min(1, Math.max(0, v)) * 65535) / 65535);
}

/** Decoded, normalised (on the film, before the margins exist), fitted and quantised pixels of image bytes; throws a one-line reason. */
export function prepareImage(bytes: Uint8Array, size: number, fit: ImageFit): Float32Array {
  return quantise16(fitSquare(normaliseIntensity(decodeImage(bytes)), size, fit));
}
