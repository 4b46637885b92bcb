// Real-data loaders on small fixtures made here (MIMIC-CXR-JPG tree, Open-i XML + PNGs, CSV manifest),
// with missing and corrupt files that must be skipped, counted and named; and image decoding.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode as encodePng } from 'fast-png';
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { augment, decodeImage, resizeSquare, standardize } from '../src/data/image.js';
import { createFileDataset } from '../src/data/pipeline/file-dataset.js';
import type { ImageReportRecord } from '../src/data/loaders/records.js';
import { recognize } from '../src/ober/recognize.js';
import { loadCsvManifest } from '../src/data/loaders/manifest.js';
import { loadMimicCxr, mimicReportText } from '../src/data/loaders/mimic.js';
import { loadOpenI } from '../src/data/loaders/openi.js';
import { Rng } from '../src/util/rng.js';
import { describeWithSharedData, sharedData } from './helpers/shared-data.js';

const quiet = () => {};

/** A file data set over loader records (split 'train' where a loader gives none), decoding in-line. */
function fileDataset(records: ImageReportRecord[], size: number, warn: (line: string) => void = quiet) {
  return createFileDataset(
    records.map((r) => ({ ...r, split: r.split ?? 'train' })),
    {
      description: 'test',
      size,
      fit: 'crop',
      workers: 0,
      batchSize: 4,
      prefetchBatches: 0,
      augmentSeed: 0,
      skipBadImages: true,
      entities: (_id, report) => recognize(report).entities,
      warn,
    },
  );
}
const tmp = () => mkdtempSync(join(tmpdir(), 'medtrim-loaders-'));

/** A w×h gradient test picture as 8-bit gray values. */
function gradient(w: number, h: number): Uint8Array {
  return Uint8Array.from({ length: w * h }, (_, i) => ((i % w) * 255) / (w - 1));
}

function jpegBytes(w: number, h: number): Uint8Array {
  const rgba = new Uint8Array(w * h * 4);
  gradient(w, h).forEach((v, i) => rgba.set([v, v, v, 255], i * 4));
  return jpeg.encode({ data: rgba, width: w, height: h }, 95).data;
}

describe('image decoding and resizing', () => {
  it('decodes 8-bit gray, 16-bit gray and RGB PNGs to brightness in [0, 1]', () => {
    const gray8 = decodeImage(
      encodePng({ width: 2, height: 1, data: new Uint8Array([0, 255]), channels: 1, depth: 8 }),
    );
    expect(Array.from(gray8.data)).toEqual([0, 1]);
    const gray16 = decodeImage(
      encodePng({ width: 2, height: 1, data: new Uint16Array([65535, 32768]), channels: 1, depth: 16 }),
    );
    expect(gray16.data[0]).toBe(1);
    expect(gray16.data[1]).toBeCloseTo(32768 / 65535, 6);
    const rgb = decodeImage(
      encodePng({ width: 1, height: 1, data: new Uint8Array([255, 0, 0]), channels: 3, depth: 8 }),
    );
    expect(rgb.data[0]).toBeCloseTo(0.299, 3);
  });

  it('decodes JPEG and rejects other bytes with a reason', () => {
    const img = decodeImage(jpegBytes(16, 8));
    expect([img.width, img.height]).toEqual([16, 8]);
    expect(img.data[0]).toBeLessThan(0.05);
    expect(img.data[15]).toBeGreaterThan(0.95);
    expect(() => decodeImage(new TextEncoder().encode('hello'))).toThrow(/not a PNG or JPEG/);
  });

  it('area-averages when shrinking (hand-computed) and crops to the centre square', () => {
    const img = { width: 4, height: 2, data: Float32Array.from([0, 0.2, 0.4, 0.6, 1, 1, 1, 1]) };
    // The centre 2×2 square is columns 1–2; one output pixel averages it.
    expect(resizeSquare(img, 1)[0]).toBeCloseTo((0.2 + 0.4 + 1 + 1) / 4, 6);
    const big = resizeSquare({ width: 2, height: 2, data: Float32Array.from([0, 1, 0, 1]) }, 4);
    expect(Array.from(big.subarray(0, 4)).map((v) => +v.toFixed(3))).toEqual([0, 0.25, 0.75, 1]);
  });

  it('standardises and augments within bounds, deterministically', () => {
    const s = standardize(Float32Array.from([1, 2, 3, 4]));
    expect(s.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 6);
    expect(s.reduce((a, b) => a + b * b, 0) / 4).toBeCloseTo(1, 5);
    const src = Float32Array.from(gradient(32, 32), (v) => v / 255);
    const a = augment(src, 32, new Rng(1, 2));
    expect(augment(src, 32, new Rng(1, 2))).toEqual(a);
    expect(a).not.toEqual(src);
    expect(Math.max(...a)).toBeLessThanOrEqual(1);
    // A small transform keeps the left-to-right gradient (no flips: they would swap patient sides).
    expect(a[16 * 32 + 28]).toBeGreaterThan(a[16 * 32 + 3]);
  });
});

describe('MIMIC-CXR-JPG loader', () => {
  it('reads the tree and split file, keeps frontal views, skips missing and corrupt files', () => {
    const root = tmp();
    const study = (
      subject: string,
      studyId: string,
      report: string | null,
      images: Record<string, Uint8Array | null>,
    ) => {
      const dir = join(root, 'files', `p${subject.slice(0, 2)}`, `p${subject}`);
      mkdirSync(join(dir, `s${studyId}`), { recursive: true });
      if (report !== null) writeFileSync(join(dir, `s${studyId}.txt`), report);
      for (const [dicom, bytes] of Object.entries(images))
        if (bytes) writeFileSync(join(dir, `s${studyId}`, `${dicom}.jpg`), bytes);
    };
    study(
      '10000032',
      '50414267',
      'EXAMINATION: CHEST\n\nFINDINGS:\n Small left pleural effusion.\n\nIMPRESSION:\n Left effusion.\n',
      { d1: jpegBytes(40, 30), d2: jpegBytes(40, 30) },
    );
    study('10000032', '50414268', 'FINDINGS: No pneumothorax.\nIMPRESSION: No acute cardiopulmonary process.', {
      d3: new TextEncoder().encode('garbage'),
      d4: null,
    });
    study('11000040', '50000001', null, { d5: jpegBytes(8, 8) });
    writeFileSync(
      join(root, 'mimic-cxr-2.0.0-split.csv'),
      'dicom_id,study_id,subject_id,split\nd1,50414267,10000032,train\nd2,50414267,10000032,validate\nd3,50414268,10000032,test\nd4,50414268,10000032,train\nd5,50000001,11000040,train\n',
    );
    writeFileSync(
      join(root, 'mimic-cxr-2.0.0-metadata.csv'),
      'dicom_id,subject_id,study_id,ViewPosition\nd1,10000032,50414267,PA\nd2,10000032,50414267,LATERAL\nd3,10000032,50414268,AP\nd4,10000032,50414268,PA\nd5,11000040,50000001,PA\n',
    );

    const warnings: string[] = [];
    const { records, skipped } = loadMimicCxr(root, { warn: (l) => warnings.push(l) });
    expect(records.map((r) => r.id)).toEqual(['50414267/d1', '50414268/d3']);
    expect(records[0].split).toBe('train');
    expect(records[1].split).toBe('test');
    expect(records[0].report).toBe('FINDINGS: Small left pleural effusion.\nIMPRESSION: Left effusion.');
    expect(skipped.map((s) => s.reason)).toEqual(['image file missing', expect.stringMatching(/cannot read report/)]);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain('d4.jpg');

    const lines: string[] = [];
    const ds = fileDataset(records, 16, (l) => lines.push(l));
    const samples = ds.samples([0]);
    expect(samples.map((s) => s.id)).toEqual(['50414267/d1']);
    expect(samples[0].truth['Pleural Effusion']).toEqual({ adjectives: ['small'], directions: ['left'] });
    // records[1]'s image is corrupt: skipped with one line naming it; nothing else in its (test) split can replace it.
    expect(records[1].split).toBe('test');
    expect(() => ds.sample(1)).toThrow(`every image of the test split is unusable (last: ${records[1].imagePath})`);
    expect(lines).toEqual([expect.stringContaining(`medtrim data: skipped ${records[1].imagePath}: `)]);
  });

  it('keeps a report without sections whole and names a folder that is not MIMIC', () => {
    expect(mimicReportText('  Heart size normal.\n Lungs clear. ')).toBe('Heart size normal. Lungs clear.');
    expect(() => loadMimicCxr(tmp())).toThrow(/not a MIMIC-CXR-JPG folder/);
  });
});

describe('Open-i loader', () => {
  const xml = (id: string, findings: string, images: string[]) => `<?xml version="1.0" encoding="utf-8"?>
<eCitation>
   <uId id="${id}"/>
   <MedlineCitation><Article><Abstract>
      <AbstractText Label="FINDINGS">${findings}</AbstractText>
      <AbstractText Label="IMPRESSION">See findings.</AbstractText>
   </Abstract></Article></MedlineCitation>
   ${images.map((im) => `<parentImage id="${im}"><figureId>F1</figureId></parentImage>`).join('\n')}
</eCitation>`;

  it('pairs each parentImage PNG with its report and skips broken reports and missing images', () => {
    const root = tmp();
    mkdirSync(join(root, 'xml'));
    mkdirSync(join(root, 'png'));
    writeFileSync(
      join(root, 'xml', '1.xml'),
      xml('CXR1', 'Mild cardiomegaly.', ['CXR1_1_IM-0001-3001', 'CXR1_1_IM-0001-4001']),
    );
    writeFileSync(join(root, 'xml', '2.xml'), xml('CXR2', 'Large right pleural effusion.', ['CXR2_1_IM-0002-1001']));
    writeFileSync(join(root, 'xml', '3.xml'), '<eCitation><uId id="CXR3"/>');
    const png = encodePng({ width: 8, height: 8, data: gradient(8, 8), channels: 1, depth: 8 });
    writeFileSync(join(root, 'png', 'CXR1_1_IM-0001-3001.png'), png);
    writeFileSync(join(root, 'png', 'CXR2_1_IM-0002-1001.png'), png);

    const { records, skipped } = loadOpenI(join(root, 'xml'), join(root, 'png'), { warn: quiet });
    expect(records.map((r) => r.id)).toEqual(['CXR1/CXR1_1_IM-0001-3001', 'CXR2/CXR2_1_IM-0002-1001']);
    expect(records[0].report).toBe('FINDINGS: Mild cardiomegaly.\nIMPRESSION: See findings.');
    expect(skipped).toHaveLength(2);
    expect(skipped[0].file).toContain('CXR1_1_IM-0001-4001.png');
    expect(skipped[1].file).toContain('3.xml');
    const samples = fileDataset(records, 8).samples([0, 1]);
    expect(samples[0].truth.Cardiomegaly).toBeDefined();
    expect(samples[1].truth['Pleural Effusion']).toEqual({ adjectives: ['large'], directions: ['right'] });
  });
});

describe('CSV manifest loader', () => {
  it('reads quoted multi-line reports, resolves relative paths and skips bad rows', () => {
    const root = tmp();
    writeFileSync(join(root, 'a.png'), encodePng({ width: 4, height: 4, data: gradient(4, 4), channels: 1, depth: 8 }));
    writeFileSync(
      join(root, 'manifest.csv'),
      'image,report,split\na.png,"Small left effusion, stable.\nNo pneumothorax.",val\nmissing.png,Normal.,train\na.png,,train\n',
    );
    const { records, skipped } = loadCsvManifest(join(root, 'manifest.csv'), { warn: quiet });
    expect(records).toEqual([
      {
        id: 'a.png',
        imagePath: join(root, 'a.png'),
        report: 'Small left effusion, stable.\nNo pneumothorax.',
        split: 'validation',
      },
    ]);
    expect(skipped.map((s) => s.reason)).toEqual([
      expect.stringMatching(/image missing \(.*row 3\)/),
      'empty image path or report',
    ]);
    writeFileSync(join(root, 'bad.csv'), 'file,notes\nx,y\n');
    expect(() => loadCsvManifest(join(root, 'bad.csv'))).toThrow(/needs an image .* column/);
  });
});

const nih = sharedData('nih-cxr-samples');
describeWithSharedData('real NIH ChestX-ray14 PNGs', join(nih, '00000001_000.png'), () => {
  it('decode to 512×512 and resize to 64 px with a bright mediastinum between dark lungs', () => {
    for (const file of ['00000001_000.png', '00027426_000.png']) {
      const records = [{ id: file, imagePath: join(nih, file), report: 'Heart size is normal.' }];
      const sample = fileDataset(records, 64).sample(0);
      expect(sample.image.length).toBe(64 * 64);
      const mean = (c0: number, c1: number) => {
        let sum = 0;
        for (let row = 20; row < 28; row++) for (let col = c0; col < c1; col++) sum += sample.image[row * 64 + col];
        return sum / (8 * (c1 - c0));
      };
      // Mid lung fields (image columns 17–22 and 42–47) against the mediastinum between them.
      const mediastinum = mean(29, 35);
      expect(mediastinum).toBeGreaterThan(mean(17, 23) + 0.12);
      expect(mediastinum).toBeGreaterThan(mean(42, 48) + 0.12);
    }
  });
});
