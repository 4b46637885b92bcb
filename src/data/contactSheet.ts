// A contact sheet: each sample's radiograph (enlarged with nearest-neighbour so its real pixels show)
// beside its ground truth and report, drawn with the built-in bitmap font, as one 8-bit gray image.
import { charAdvance, drawText, lineAdvance, wrapText } from './font.js';
import type { SyntheticSample } from './synthetic/dataset.js';
import { toUint8 } from './synthetic/dataset.js';

export interface Sheet {
  width: number;
  height: number;
  data: Uint8Array;
}

const imageSide = 192;
const textColumns = 44;
const pad = 8;

function truthLine(s: SyntheticSample): string {
  return Object.entries(s.truth)
    .map(([cls, d]) => [cls, ...d.adjectives, ...d.directions].join(' '))
    .join('; ');
}

function tileText(s: SyntheticSample): string[] {
  const head = [`${s.id} (${s.split})`, ...wrapText(`TRUTH: ${truthLine(s)}`, textColumns)];
  if (s.uncertain.length) head.push(...wrapText(`UNCERTAIN: ${s.uncertain.join(', ')}`, textColumns));
  return [...head, '', ...wrapText(s.report, textColumns)];
}

export function contactSheet(samples: SyntheticSample[], columns = 2): Sheet {
  if (samples.length === 0) throw new Error('contact sheet: no samples');
  const texts = samples.map(tileText);
  const tileWidth = imageSide + 2 * pad + textColumns * charAdvance;
  const tileHeight = Math.max(imageSide, ...texts.map((t) => t.length * lineAdvance)) + 2 * pad;
  const cols = Math.min(columns, samples.length);
  const rows = Math.ceil(samples.length / cols);
  const width = cols * tileWidth;
  const data = new Uint8Array(width * rows * tileHeight);
  samples.forEach((s, k) => {
    const x0 = (k % cols) * tileWidth + pad;
    const y0 = Math.floor(k / cols) * tileHeight + pad;
    const pixels = toUint8(s.image);
    for (let y = 0; y < imageSide; y++) {
      const srcRow = Math.floor((y * s.size) / imageSide) * s.size;
      for (let x = 0; x < imageSide; x++)
        data[(y0 + y) * width + x0 + x] = pixels[srcRow + Math.floor((x * s.size) / imageSide)];
    }
    texts[k].forEach((line, i) => drawText(data, width, x0 + imageSide + pad, y0 + i * lineAdvance, line));
  });
  return { width, height: rows * tileHeight, data };
}
