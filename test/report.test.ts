// The run report from a small hand-made input: HTML content and escaping, PNG charts that decode to the
// expected size and carry the curves where the layout puts them, and the markdown P@R table.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ZeroShotResults } from '../src/eval/classification.js';
import type { RetrievalResults } from '../src/eval/retrieval.js';
import { PALETTE, niceTicks } from '../src/report/chart.js';
import { formatTables, writeRunReport, type RunReportData } from '../src/report/index.js';
import type { GrayImage } from '../src/report/types.js';

const none = { adjectives: [], directions: [] };
const summary = (p1: number, p10: number, queries = 4, without = 0) => ({
  precisionAt: { 1: p1, 10: p10 },
  map: p1 / 2,
  queries,
  queriesWithoutRelevant: without,
  chance: { precisionAt: { 1: 0.25, 10: 0.25 }, map: 0.3 },
});
const retrieval: RetrievalResults = {
  'image→text': { coarse: summary(0.75, 0.5), fine: summary(0.25, 0.125), distinctTop1: 3, queries: 4 },
  'text→text': { coarse: summary(1, 0.6), fine: summary(NaN, NaN, 0, 4), distinctTop1: 4, queries: 4 },
};
const zeroShot: ZeroShotResults = {
  classes: [
    { className: 'Edema', positives: 2, negatives: 2, auc: 0.75, accuracy: 0.5, f1: 0.5 },
    { className: 'Fracture', positives: 0, negatives: 4, auc: NaN, accuracy: 0.75, f1: NaN },
  ],
  macroAuc: 0.75,
  macroF1: 0.5,
  meanAccuracy: 0.625,
  images: 4,
};

/** A 16×12 horizontal gradient: every image distinct, none blank. */
function gradient(shift: number): GrayImage {
  const [width, height] = [16, 12];
  return {
    width,
    height,
    data: Uint8Array.from({ length: width * height }, (_, i) => ((i % width) * 16 + shift) % 256),
  };
}

const data: RunReportData = {
  title: 'Run <script>alert(1)</script> & co',
  adapter: 'llvmpipe (GLES)',
  config: { batchSize: 8, note: '</pre><b>injected</b>' },
  losses: [
    { step: 0, loss: 1.2, samplesPerSec: 40 },
    { step: 50, loss: 0.8, samplesPerSec: 42 },
    {
      step: 100,
      loss: 0.5,
      samplesPerSec: 41,
      health: { imageCosine: 0.9, textCosine: 0.5, validAnchors: 1, activeTriplets: 0.8 },
    },
    {
      step: 150,
      loss: 0.4,
      samplesPerSec: 43,
      health: { imageCosine: 0.7, textCosine: 0.4, validAnchors: 0.9, activeTriplets: 0.6 },
    },
  ],
  validationLosses: [{ step: 150, loss: 0.6 }],
  retrieval,
  zeroShot,
  perClass: { direction: 'image→text', classes: [{ className: 'Edema', queries: 2, precision: 0.55 }] },
  examples: {
    textToImage: [
      {
        query: {
          report: 'Small left effusion & <edema>.',
          truth: { 'Pleural Effusion': { adjectives: ['small'], directions: ['left'] } },
        },
        results: [
          { image: gradient(0), truth: { 'Pleural Effusion': none }, score: 0.91, relevant: true },
          { image: gradient(80), truth: { Edema: none }, score: 0.42, relevant: false },
        ],
      },
    ],
    imageToText: [
      {
        query: { image: gradient(160), truth: { Edema: none } },
        results: [{ report: 'Mild edema.', truth: { Edema: none }, score: 0.7, relevant: true }],
      },
    ],
  },
};

let dir: string;
let html: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'medtrim-report-'));
  await writeRunReport(dir, data);
  html = readFileSync(join(dir, 'report.html'), 'utf8');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function pixel(png: ReturnType<typeof decode>, x: number, y: number): number[] {
  const at = (y * png.width + x) * png.channels;
  return Array.from(png.data.slice(at, at + 3));
}

describe('report.html', () => {
  it('holds the loss, health and precision charts, the P@R tables, zero-shot and per-class tables', () => {
    expect(html.match(/<svg /g)).toHaveLength(3);
    expect(html).toContain('Training health');
    expect(html).toContain('<b>1 of 2</b> retrieved share the query'); // the report → images example
    expect(html).toContain('<b>1 of 1</b> retrieved share the query'); // the image → reports example
    expect(html).toContain('image cosine');
    expect(html).not.toContain('band negatives'); // a series with no points is left out
    expect(decode(readFileSync(join(dir, 'health.png'))).width).toBeGreaterThan(100);
    expect(html).toContain('Retrieval precision, coarse');
    expect(html).toContain('Retrieval precision, fine');
    expect(html).toContain(
      '<tr><td>image→text</td><td>0.750</td><td>0.500</td><td>0.375</td><td>0.300</td><td>3/4</td><td>4</td><td>0</td></tr>',
    );
    expect(html).toContain(
      '<tr><td>text→text</td><td>n/a</td><td>n/a</td><td>n/a</td><td>0.300</td><td>4/4</td><td>0</td><td>4</td></tr>',
    );
    expect(html).toContain('<tr><td>Fracture</td><td>0</td><td>n/a</td><td>0.750</td><td>n/a</td></tr>');
    expect(html).toContain('<tr><td>Edema</td><td>2</td><td>0.550</td></tr>');
  });
  it('embeds every example image as a decodable PNG data URI with its truth label', () => {
    const uris = [...html.matchAll(/src="data:image\/png;base64,([A-Za-z0-9+/=]+)"/g)].map((m) => m[1]!);
    expect(uris).toHaveLength(3);
    const first = decode(Buffer.from(uris[0]!, 'base64'));
    expect([first.width, first.height, first.channels]).toEqual([16, 12, 1]);
    expect(Array.from(first.data)).toEqual(Array.from(gradient(0).data));
    expect(html).toContain('Pleural Effusion (small, left)');
    expect(html).toContain('0.910 ✓ relevant');
  });
  it('escapes all run text', () => {
    expect(html).not.toContain('<script>');
    expect(html).toContain('<title>Run &lt;script&gt;alert(1)&lt;/script&gt; &amp; co</title>');
    expect(html).toContain('Small left effusion &amp; &lt;edema&gt;.');
    expect(html).toContain('&lt;/pre&gt;&lt;b&gt;injected&lt;/b&gt;');
    expect(html).not.toContain('<b>injected</b>');
  });
});

describe('PNG charts', () => {
  it('loss.png: 640×360 RGBA, the train curve from the top-left to the bottom-right corner of the plot', () => {
    const png = decode(readFileSync(join(dir, 'loss.png')));
    expect([png.width, png.height, png.channels]).toEqual([640, 360, 4]);
    // Plot area x ∈ [64, 480], y ∈ [32, 316]; the loss spans [0.4, 1.2] over steps [0, 150].
    expect(pixel(png, 64, 32)).toEqual([...PALETTE[0]!]);
    expect(pixel(png, 480, 316)).toEqual([...PALETTE[0]!]);
    // Halfway in x (step 75) the curve is between 0.8 and 0.5: 0.65 → y = 316 - (0.25/0.8)·284.
    expect(pixel(png, 272, Math.round(316 - (0.25 / 0.8) * 284))).toEqual([...PALETTE[0]!]);
    expect(pixel(png, 272, 40)).toEqual([255, 255, 255]);
  });
  it('precision.png: a curve per direction and granularity on [0, 1]', () => {
    const png = decode(readFileSync(join(dir, 'precision.png')));
    expect([png.width, png.height]).toEqual([640, 360]);
    // image→text coarse P@1 = 0.75 at R = 1 (x = 64): y = 316 - 0.75·284 = 103; text→text (colour 4) P@1 = 1.
    expect(pixel(png, 64, 103)).toEqual([...PALETTE[0]!]);
    expect(pixel(png, 64, 32)).toEqual([...PALETTE[3]!]);
    let ink = 0;
    for (let i = 0; i < png.data.length; i += 4) if (png.data[i] !== 255 || png.data[i + 1] !== 255) ink++;
    expect(ink).toBeGreaterThan(2000);
  });
});

describe('formatTables and ticks', () => {
  it('prints the coarse and fine P@R tables as markdown', () => {
    const text = formatTables(retrieval);
    expect(text.split('\n').slice(0, 6)).toEqual([
      'Retrieval precision, coarse (same disease classes)',
      '',
      '| direction  | P@1   | P@10  | mAP   | chance mAP | distinct top-1 | queries | no relevant |',
      '| ---------- | ----- | ----- | ----- | ---------- | -------------- | ------- | ----------- |',
      '| image→text | 0.750 | 0.500 | 0.375 | 0.300      | 3/4            | 4       | 0           |',
      '| text→text  | 1.000 | 0.600 | 0.500 | 0.300      | 4/4            | 4       | 0           |',
    ]);
    expect(text).toContain(
      '| text→text  | n/a   | n/a   | n/a   | 0.300      | 4/4            | 0       | 4           |',
    );
  });
  it('nice ticks are round steps covering the range', () => {
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0.4, 1.2)).toEqual([0.4, 0.6, 0.8, 1, 1.2]);
    expect(niceTicks(0, 150)).toEqual([0, 50, 100, 150]);
  });
});
