// A minimal RGBA canvas for rasterising charts into PNG files: filled rectangles, thick (optionally dashed)
// lines and text in the project's 5×7 bitmap font (src/data/font.ts), which draws into a gray mask that is
// then painted in the requested colour.
import { encode } from 'fast-png';
import { charAdvance, drawText, glyphHeight } from '../data/font.js';

export type Rgb = readonly [number, number, number];

export class RgbaCanvas {
  readonly data: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb = [255, 255, 255],
  ) {
    this.data = new Uint8Array(width * height * 4);
    this.fillRect(0, 0, width, height, background);
  }

  setPixel(x: number, y: number, color: Rgb): void {
    const [px, py] = [Math.round(x), Math.round(y)];
    if (px < 0 || py < 0 || px >= this.width || py >= this.height) return;
    const at = (py * this.width + px) * 4;
    this.data.set([color[0], color[1], color[2], 255], at);
  }

  fillRect(x: number, y: number, w: number, h: number, color: Rgb): void {
    for (let py = Math.max(0, Math.round(y)); py < Math.min(this.height, Math.round(y + h)); py++) {
      for (let px = Math.max(0, Math.round(x)); px < Math.min(this.width, Math.round(x + w)); px++)
        this.setPixel(px, py, color);
    }
  }

  /** A line `thickness` pixels wide; with `dash` > 0, drawn `dash` pixels on, `dash` pixels off. */
  line(x0: number, y0: number, x1: number, y1: number, color: Rgb, thickness = 1, dash = 0): void {
    const length = Math.hypot(x1 - x0, y1 - y0);
    const steps = Math.max(1, Math.ceil(length * 2));
    const half = (thickness - 1) / 2;
    for (let s = 0; s <= steps; s++) {
      const t = s / steps;
      if (dash > 0 && Math.floor((t * length) / dash) % 2 === 1) continue;
      const [x, y] = [x0 + (x1 - x0) * t, y0 + (y1 - y0) * t];
      this.fillRect(x - half, y - half, thickness, thickness, color);
    }
  }

  /** Text with its top-left corner at (x, y); `scale` enlarges the 5×7 glyphs by whole pixels. */
  text(x: number, y: number, text: string, color: Rgb = [0, 0, 0], scale = 1): void {
    forEachInk(text, (mx, my) => this.fillRect(x + mx * scale, y + my * scale, scale, scale, color));
  }

  /** Text drawn bottom-to-top (a y-axis label), its centre at (cx, cy). */
  verticalText(cx: number, cy: number, text: string, color: Rgb = [0, 0, 0]): void {
    const half = textWidth(text) / 2;
    forEachInk(text, (mx, my) => this.setPixel(cx - glyphHeight / 2 + my, cy + half - mx, color));
  }

  png(): Uint8Array {
    return encode({ width: this.width, height: this.height, data: this.data, channels: 4, depth: 8 });
  }
}

/** Width in pixels of text drawn at `scale`. */
export function textWidth(text: string, scale = 1): number {
  text = asciiText(text);
  return Math.max(0, text.length * charAdvance - 1) * scale;
}

/** Calls `ink` with the (x, y) of every set pixel of the text rendered at scale 1 from (0, 0). */
function forEachInk(original: string, ink: (x: number, y: number) => void): void {
  // The bitmap font is ASCII only; arrows name retrieval directions, so spell them out.
  const text = asciiText(original);
  const maskWidth = text.length * charAdvance;
  const mask = new Uint8Array(maskWidth * glyphHeight);
  drawText(mask, maskWidth, 0, 0, text);
  for (let y = 0; y < glyphHeight; y++) for (let x = 0; x < maskWidth; x++) if (mask[y * maskWidth + x]) ink(x, y);
}

function asciiText(text: string): string {
  return text.replaceAll('→', '->');
}
