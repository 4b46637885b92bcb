// Image files for real data sets: PNG (8/16-bit gray, gray+alpha, RGB, RGBA, palette) and JPEG decoded
// to grayscale brightness in [0, 1], resized to the model's size, normalised and augmented.
import { mat3 } from 'gl-matrix';
import { decode as decodePng, convertIndexedToRgb } from 'fast-png';
import jpeg from 'jpeg-js';
import type { Rng } from '../util/rng.js';

export interface GrayImage {
  width: number;
  height: number;
  /** Row-major brightness in [0, 1]. */
  data: Float32Array;
}

function isPng(bytes: Uint8Array): boolean {
  return bytes.length > 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
}

function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/** Converts interleaved channels to brightness (ITU-R BT.601 luma; alpha ignored). */
function toGray(pixels: ArrayLike<number>, channels: number, maxValue: number, count: number): Float32Array {
  const out = new Float32Array(count);
  const colour = channels >= 3;
  for (let i = 0; i < count; i++) {
    const k = i * channels;
    const v = colour ? 0.299 * pixels[k] + 0.587 * pixels[k + 1] + 0.114 * pixels[k + 2] : pixels[k];
    out[i] = v / maxValue;
  }
  return out;
}

/**
 * Decoded pixels one image may have (50 megapixels, e.g. 7000×7000; chest films are 3–15): checked on
 * the PNG IHDR or JPEG SOF dimensions before decoding, so a small file that claims huge dimensions (a
 * decompression bomb) is refused without the memory it would take.
 */
export const maxImagePixels = 50_000_000;

/** Width and height from a PNG's IHDR chunk (which must come first), or a reason it has none. */
function pngDimensions(bytes: Uint8Array): { width: number; height: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 24 || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR')
    throw new Error('truncated or corrupt PNG (no IHDR header)');
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** Width and height from a JPEG's first start-of-frame marker, or undefined when the markers end first. */
function jpegDimensions(bytes: Uint8Array): { width: number; height: number } | undefined {
  let at = 2;
  while (at + 9 <= bytes.length) {
    if (bytes[at] !== 0xff) return undefined;
    const marker = bytes[at + 1];
    if (marker === 0xff) {
      at++;
      continue;
    }
    // SOF0–SOF15, except DHT (C4), JPG (C8) and DAC (CC), carry the frame size.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: (bytes[at + 5] << 8) | bytes[at + 6], width: (bytes[at + 7] << 8) | bytes[at + 8] };
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) at += 2;
    else at += 2 + ((bytes[at + 2] << 8) | bytes[at + 3]);
  }
  return undefined;
}

function checkDimensions(kind: string, width: number, height: number, maxPixels: number): void {
  if (width === 0 || height === 0) throw new Error(`${kind} of ${width}×${height} pixels has no image in it`);
  if (width * height > maxPixels)
    throw new Error(`${kind} of ${width}×${height} pixels is over the ${maxPixels / 1e6}-megapixel limit for an image`);
}

/** A decoder's exception as a one-line reason (a read past the end surfaces as a DataView RangeError). */
function decodeFailure(kind: string, err: unknown): Error {
  if (err instanceof RangeError) return new Error(`truncated or corrupt ${kind} data (it ends before the image does)`);
  const message = (err instanceof Error ? err.message : String(err)).split('\n')[0];
  return new Error(`corrupt ${kind} data (${message})`);
}

/**
 * Decodes PNG or JPEG bytes (chosen by signature) to grayscale; throws a one-line reason (the caller
 * adds the file name). Images with no pixels or over `maxPixels` are refused before decoding.
 */
export function decodeImage(bytes: Uint8Array, maxPixels = maxImagePixels): GrayImage {
  if (isPng(bytes)) {
    const { width, height } = pngDimensions(bytes);
    checkDimensions('PNG', width, height, maxPixels);
    try {
      const png = decodePng(bytes);
      const count = png.width * png.height;
      const data = png.palette
        ? toGray(convertIndexedToRgb(png), png.palette[0].length, 255, count)
        : toGray(png.data, png.channels, 2 ** png.depth - 1, count);
      return { width: png.width, height: png.height, data };
    } catch (err) {
      throw decodeFailure('PNG', err);
    }
  }
  if (isJpeg(bytes)) {
    const size = jpegDimensions(bytes);
    if (size) checkDimensions('JPEG', size.width, size.height, maxPixels);
    let img: { width: number; height: number; data: Uint8Array };
    try {
      img = jpeg.decode(bytes, {
        useTArray: true,
        formatAsRGBA: true,
        maxResolutionInMP: maxPixels / 1e6,
        maxMemoryUsageInMB: 1024,
      });
    } catch (err) {
      throw decodeFailure('JPEG', err);
    }
    checkDimensions('JPEG', img.width, img.height, maxPixels);
    return { width: img.width, height: img.height, data: toGray(img.data, 4, 255, img.width * img.height) };
  }
  throw new Error('not a PNG or JPEG file (unknown signature)');
}

/**
 * Resizes to size×size after a centred square crop (chest films are near square; cropping keeps the
 * anatomy's proportions). Shrinking averages the source area under each output pixel; enlarging
 * interpolates bilinearly.
 */
export function resizeSquare(img: GrayImage, size: number): Float32Array {
  const side = Math.min(img.width, img.height);
  const x0 = (img.width - side) / 2;
  const y0 = (img.height - side) / 2;
  const scale = side / size;
  const out = new Float32Array(size * size);
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      out[row * size + col] =
        scale > 1
          ? areaMean(img, x0 + col * scale, y0 + row * scale, scale)
          : bilinear(img, x0 + (col + 0.5) * scale - 0.5, y0 + (row + 0.5) * scale - 0.5);
    }
  }
  return out;
}

function areaMean(img: GrayImage, x: number, y: number, extent: number): number {
  let sum = 0;
  let weight = 0;
  for (let sy = Math.floor(y); sy < Math.ceil(y + extent); sy++) {
    const wy = Math.min(sy + 1, y + extent) - Math.max(sy, y);
    for (let sx = Math.floor(x); sx < Math.ceil(x + extent); sx++) {
      const w = wy * (Math.min(sx + 1, x + extent) - Math.max(sx, x));
      sum += w * img.data[Math.min(img.height - 1, sy) * img.width + Math.min(img.width - 1, sx)];
      weight += w;
    }
  }
  return sum / weight;
}

/** Bilinear sample at pixel-centre coordinates; outside the image the nearest edge pixel. */
export function bilinear(img: GrayImage, x: number, y: number): number {
  const cx = Math.min(img.width - 1, Math.max(0, x));
  const cy = Math.min(img.height - 1, Math.max(0, y));
  const x0 = Math.min(img.width - 2, Math.floor(cx));
  const y0 = Math.min(img.height - 2, Math.floor(cy));
  if (x0 < 0 || y0 < 0) return img.data[Math.round(cy) * img.width + Math.round(cx)];
  const fx = cx - x0;
  const fy = cy - y0;
  const d = img.data;
  const i = y0 * img.width + x0;
  return (d[i] * (1 - fx) + d[i + 1] * fx) * (1 - fy) + (d[i + img.width] * (1 - fx) + d[i + img.width + 1] * fx) * fy;
}

/** Per-image standardisation to zero mean and unit variance (a flat image becomes all zeros). */
export function standardize(image: Float32Array): Float32Array {
  let mean = 0;
  for (const v of image) mean += v;
  mean /= image.length;
  let variance = 0;
  for (const v of image) variance += (v - mean) ** 2;
  const std = Math.sqrt(variance / image.length);
  return image.map((v) => (std > 1e-8 ? (v - mean) / std : 0));
}

export interface AugmentOptions {
  maxRotationDeg: number;
  maxScale: number;
  maxShift: number;
  maxBrightness: number;
  maxContrast: number;
}

export const defaultAugment: AugmentOptions = {
  maxRotationDeg: 5,
  maxScale: 0.05,
  maxShift: 0.04,
  maxBrightness: 0.05,
  maxContrast: 0.1,
};

/**
 * Small random rotation, scale and shift (one gl-matrix affine map about the centre, bilinear
 * sampling) followed by brightness and contrast jitter. Flips are left out on purpose: they would
 * swap the patient's left and right and so contradict the report.
 */
export function augment(image: Float32Array, size: number, rng: Rng, o: AugmentOptions = defaultAugment): Float32Array {
  const m = mat3.create();
  const c = (size - 1) / 2;
  mat3.translate(m, m, [c + rng.uniform(-1, 1) * o.maxShift * size, c + rng.uniform(-1, 1) * o.maxShift * size]);
  mat3.rotate(m, m, (rng.uniform(-1, 1) * o.maxRotationDeg * Math.PI) / 180);
  const s = 1 + rng.uniform(-1, 1) * o.maxScale;
  mat3.scale(m, m, [s, s]);
  mat3.translate(m, m, [-c, -c]);
  const brightness = rng.uniform(-1, 1) * o.maxBrightness;
  const contrast = 1 + rng.uniform(-1, 1) * o.maxContrast;
  const src: GrayImage = { width: size, height: size, data: image };
  const out = new Float32Array(size * size);
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      const v = bilinear(src, m[0] * col + m[3] * row + m[6], m[1] * col + m[4] * row + m[7]);
      out[row * size + col] = Math.min(1, Math.max(0, (v - 0.5) * contrast + 0.5 + brightness));
    }
  }
  return out;
}
