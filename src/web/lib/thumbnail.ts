// Test images on the page: a grayscale sample drawn into a canvas at its own size (CSS scales it up).
import { toUint8 } from '../../data/synthetic/dataset.js';

export function grayCanvas(image: Float32Array, size: number): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = size;
  canvas.height = size;
  const pixels = new ImageData(size, size);
  toUint8(image).forEach((v, i) => pixels.data.set([v, v, v, 255], 4 * i));
  canvas.getContext('2d')!.putImageData(pixels, 0, 0);
  return canvas;
}
