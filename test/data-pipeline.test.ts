// The real-data path below the trainer: aspect-keeping fit (pad / crop), intensity normalisation, the worker
// pipeline against in-line decoding, the resized-image cache, patient-level splits (never leaking, recorded
// and read back), manifest loading (CSV and JSONL) and bad images (one line naming the file, or skipped).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { loadManifest } from '../src/data/loaders/manifest.js';
import { loadRecords } from '../src/data/open-data.js';
import type { ImageReportRecord } from '../src/data/loaders/records.js';
import { createFileDataset, type FileDatasetOptions } from '../src/data/pipeline/file-dataset.js';
import { fitSquare, normaliseIntensity, quantise16 } from '../src/data/pipeline/fit.js';
import { loadImageFile } from '../src/data/pipeline/image-file.js';
import { assignSplits, formatSplits, parseSplits, patientKey } from '../src/data/splits.js';
import { writeManifest } from './helpers/manifest.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'medtrim-pipeline-'));

function options(extra: Partial<FileDatasetOptions> = {}): FileDatasetOptions {
  return {
    description: 'test',
    size: 16,
    fit: 'pad',
    workers: 0,
    batchSize: 4,
    prefetchBatches: 1,
    augmentSeed: 1,
    skipBadImages: false,
    entities: () => ({}),
    warn: () => {},
    ...extra,
  };
}

function records(manifest: string): ImageReportRecord[] {
  const { records: rows } = loadManifest(manifest, { strict: true });
  assignSplits(rows);
  return rows;
}

describe('fitting a film into the square input', () => {
  // A 40×20 film: left half 0.2, right half 0.8.
  const wide = { width: 40, height: 20, data: Float32Array.from({ length: 800 }, (_, i) => (i % 40 < 20 ? 0.2 : 0.8)) };

  it('pad keeps the whole film, centred, with black margins above and below', () => {
    const out = fitSquare(wide, 10, 'pad');
    const row = (r: number) => Array.from(out.subarray(r * 10, r * 10 + 10), (v) => Number(v.toFixed(3)));
    // 40×20 → 10×5, placed at rows 2…6.
    for (const r of [0, 1, 7, 8, 9]) expect(row(r)).toEqual(Array(10).fill(0));
    for (const r of [2, 3, 4, 5, 6]) expect(row(r)).toEqual([...Array(5).fill(0.2), ...Array(5).fill(0.8)]);
  });

  it('crop keeps the centred square: the middle 20 columns, half dark, half bright', () => {
    const out = fitSquare(wide, 10, 'crop');
    expect(Array.from(out.subarray(0, 10), (v) => Number(v.toFixed(3)))).toEqual([
      ...Array(5).fill(0.2),
      ...Array(5).fill(0.8),
    ]);
    expect(out.every((v) => v > 0)).toBe(true);
  });

  it('normalises intensity to [0, 1], a flat image to 0, and quantises to 16-bit steps', () => {
    const img = (data: number[]) => ({ width: data.length, height: 1, data: Float32Array.from(data) });
    expect(Array.from(normaliseIntensity(img([0.25, 0.5, 0.75])).data)).toEqual([0, 0.5, 1]);
    expect(Array.from(normaliseIntensity(img([0.3, 0.3])).data)).toEqual([0, 0]);
    expect(Array.from(quantise16(Float32Array.from([0.1, 2, -1])))).toEqual([
      Math.fround(Math.round(0.1 * 65535) / 65535),
      1,
      0,
    ]);
  });

  it('decodes 16-bit grayscale and RGB PNGs of any size', () => {
    const dir = tmp();
    const gray16 = Uint16Array.from({ length: 64 * 48 }, (_, i) => (i % 64) * 1000);
    writeFileSync(join(dir, 'g16.png'), encode({ width: 64, height: 48, data: gray16, channels: 1, depth: 16 }));
    const rgb = Uint8Array.from({ length: 30 * 30 * 3 }, (_, i) => (i % 3 === 0 ? 255 : 0));
    writeFileSync(join(dir, 'rgb.png'), encode({ width: 30, height: 30, data: rgb, channels: 3, depth: 8 }));
    const g = loadImageFile(join(dir, 'g16.png'), 16, 'pad');
    // Each output pixel averages 4 source columns of 16-bit values 0, 1000, …, 63000 (stretched to [0, 1]).
    expect(g[8 * 16]).toBeCloseTo(1500 / 63000, 4);
    expect(g[8 * 16 + 15]).toBeCloseTo(61500 / 63000, 4);
    expect(g[0]).toBe(0); // pad rows above a 64×48 film
    expect(Array.from(loadImageFile(join(dir, 'rgb.png'), 8, 'crop'))).toEqual(Array(64).fill(0)); // flat red → 0
  });
});

describe('the worker pipeline and the resized-image cache', () => {
  it('workers give the pixels in-line decoding gives; the cache gives them again without decoding', async () => {
    const { manifest } = writeManifest(10);
    const rows = records(manifest);
    const inline = createFileDataset(rows, options());
    const cacheDir = join(tmp(), 'cache');
    const workers = createFileDataset(rows, options({ workers: 2, cacheDir }));
    const all = rows.map((_, i) => i);
    workers.prefetch!(all.slice(4));
    const expected = inline.samples(all);
    const got = workers.samples(all);
    expect(got.map((s) => s.id)).toEqual(expected.map((s) => s.id));
    got.forEach((s, i) => expect(Array.from(s.image)).toEqual(Array.from(expected[i]!.image)));
    expect(readdirSync(cacheDir).flatMap((d) => readdirSync(join(cacheDir, d)))).toHaveLength(10);
    // A second data set over the same cache reads the cached pixels, equal to decoded ones…
    const cached = createFileDataset(rows, options({ workers: 1, cacheDir }));
    expect(Array.from(cached.sample(3).image)).toEqual(Array.from(expected[3]!.image));
    expect(cached.dataWaitMs).toBeGreaterThan(0);
    // …and really reads them from the cache: cache files overwritten with white come back white.
    for (const file of readdirSync(cacheDir, { recursive: true }) as string[])
      if (file.endsWith('.u16')) writeFileSync(join(cacheDir, file), new Uint8Array(16 * 16 * 2).fill(0xff));
    expect(cached.sample(5).image.every((v) => v === 1)).toBe(true);
    await Promise.all([workers.close!(), cached.close!()]);
  });

  it('augments training images reproducibly (same epoch, same pixels; another epoch, others)', async () => {
    const { manifest } = writeManifest(4);
    const ds = createFileDataset(records(manifest), options({ workers: 1 }));
    const a = ds.sample(0, { augmentEpoch: 0 }).image;
    expect(Array.from(ds.sample(0, { augmentEpoch: 0 }).image)).toEqual(Array.from(a));
    expect(Array.from(ds.sample(0, { augmentEpoch: 1 }).image)).not.toEqual(Array.from(a));
    expect(Array.from(ds.sample(0).image)).not.toEqual(Array.from(a));
    await ds.close!();
  });
});

describe('splits by patient', () => {
  it('puts each patient in one split, deterministically, about 80/10/10, and reads back what it wrote', () => {
    const rows: ImageReportRecord[] = Array.from({ length: 3000 }, (_, i) => ({
      id: `img${i}`,
      imagePath: `/x/${i}.png`,
      report: 'r',
      patientId: `p${i % 700}`,
    }));
    assignSplits(rows);
    const byPatient = new Map<string, Set<string>>();
    for (const r of rows)
      (byPatient.get(patientKey(r)) ?? byPatient.set(patientKey(r), new Set()).get(patientKey(r))!).add(r.split!);
    expect([...byPatient.values()].every((s) => s.size === 1)).toBe(true);
    const share = (name: string) => rows.filter((r) => r.split === name).length / rows.length;
    expect(share('train')).toBeGreaterThan(0.7);
    expect(share('validation')).toBeGreaterThan(0.04);
    expect(share('test')).toBeGreaterThan(0.04);
    const again: ImageReportRecord[] = rows.map((r) => ({ ...r, split: undefined }));
    assignSplits(again);
    expect(again.map((r) => r.split)).toEqual(rows.map((r) => r.split));
    const text = formatSplits([...rows.slice(0, 3), { id: 'a,"b"', split: 'test' }]);
    expect([...parseSplits(text, 'splits.csv')]).toEqual([
      ...rows.slice(0, 3).map((r) => [r.id, r.split]),
      ['a,"b"', 'test'],
    ]);
  });

  it("keeps a data set's own split, follows it for the patient's other images, and reports patients it puts in two splits", () => {
    const rows: ImageReportRecord[] = [
      { id: 'a', imagePath: '', report: '', patientId: 'p1', split: 'test' },
      { id: 'b', imagePath: '', report: '', patientId: 'p1' },
      { id: 'c', imagePath: '', report: '', patientId: 'p2', split: 'train' },
      { id: 'd', imagePath: '', report: '', patientId: 'p2', split: 'test' },
    ];
    expect(assignSplits(rows).leakingPatients).toEqual(['p2']);
    expect(rows.map((r) => r.split)).toEqual(['test', 'test', 'train', 'test']);
  });
});

describe('manifests with bad images', () => {
  function badManifest(): { root: string; manifest: string } {
    const { root, manifest } = writeManifest(8, { row: (r) => ({ ...r, split: 'train' }) });
    writeFileSync(join(root, 'images', '2.png'), 'not an image');
    writeFileSync(
      join(root, 'images', '5.png'),
      new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]),
    );
    return { root, manifest };
  }

  it('a missing image stops loading with one line naming it, or is skipped with a line', () => {
    const { root } = writeManifest(3);
    const csv = join(root, 'm.csv');
    writeFileSync(csv, 'image,report,patient\nimages/0.png,No effusion.,p1\nimages/nope.png,Small effusion.,p2\n');
    expect(() => loadManifest(csv, { strict: true })).toThrow(
      new Error(`${join(root, 'images', 'nope.png')}: image missing (${csv} row 3)`),
    );
    const lines: string[] = [];
    const loaded = loadManifest(csv, { warn: (l) => lines.push(l) });
    expect(loaded.records).toEqual([
      { id: 'images/0.png', imagePath: join(root, 'images', '0.png'), report: 'No effusion.', patientId: 'p1' },
    ]);
    expect(lines).toEqual([`medtrim data: skipped ${join(root, 'images', 'nope.png')}: image missing (${csv} row 3)`]);
  });

  it('a corrupt image stops the batch with one line naming the file; --skip-bad-images logs each once and fills in the next', async () => {
    const { root, manifest } = badManifest();
    const rows = records(manifest);
    for (const workers of [0, 2]) {
      const strict = createFileDataset(rows, options({ workers }));
      expect(() => strict.samples([0, 1, 2, 3])).toThrow(
        new Error(`${join(root, 'images', '2.png')}: not a PNG or JPEG file (unknown signature)`),
      );
      await strict.close!();
      const lines: string[] = [];
      const lenient = createFileDataset(rows, options({ workers, skipBadImages: true, warn: (l) => lines.push(l) }));
      expect(lenient.samples([0, 1, 2, 3, 4, 5, 6]).map((s) => s.index)).toEqual([0, 1, 3, 3, 4, 6, 6]);
      expect(lenient.samples([2, 5]).map((s) => s.index)).toEqual([3, 6]);
      expect(lines).toHaveLength(2);
      expect(lines[0]).toBe(
        `medtrim data: skipped ${join(root, 'images', '2.png')}: not a PNG or JPEG file (unknown signature) (--skip-bad-images)`,
      );
      expect(lines[1]).toContain(join(root, 'images', '5.png'));
      await lenient.close!();
    }
  });

  it('an unreadable path (a folder where a file should be) names the file', async () => {
    const { root, manifest } = writeManifest(2, { row: (r) => ({ ...r, split: 'train' }) });
    const rows = records(manifest);
    mkdirSync(join(root, 'images', 'dir.png'));
    rows[1] = { ...rows[1]!, imagePath: join(root, 'images', 'dir.png') };
    const ds = createFileDataset(rows, options({ workers: 1 }));
    expect(() => ds.samples([0, 1])).toThrow(new Error(`${join(root, 'images', 'dir.png')}: cannot read (EISDIR)`));
    await ds.close!();
    expect(existsSync(manifest)).toBe(true);
  });
});

describe('--data PATH: which loader, which report sections', () => {
  const openIXml = (id: string, image: string) =>
    `<eCitation><uId id="${id}"/><MedlineCitation><Article><Abstract><AbstractText Label="FINDINGS">Small left effusion.</AbstractText>` +
    `<AbstractText Label="IMPRESSION">Effusion.</AbstractText></Abstract></Article></MedlineCitation><parentImage id="${image}"/></eCitation>`;
  const png = () => encode({ width: 8, height: 8, data: new Uint8Array(64).fill(9), channels: 1, depth: 8 });

  it('reads an Open-i folder (XML and PNG side by side or in subfolders), keeping the asked sections; its uId stands for the patient', () => {
    const flat = tmp();
    writeFileSync(join(flat, '1.xml'), openIXml('CXR1', 'CXR1_1_IM-0001-3001'));
    writeFileSync(join(flat, 'CXR1_1_IM-0001-3001.png'), png());
    const loaded = loadRecords(flat);
    expect(loaded.kind).toBe('Open-i');
    expect(loaded.records).toEqual([
      {
        id: 'CXR1/CXR1_1_IM-0001-3001',
        imagePath: join(flat, 'CXR1_1_IM-0001-3001.png'),
        report: 'FINDINGS: Small left effusion.\nIMPRESSION: Effusion.',
        patientId: 'CXR1',
        studyId: 'CXR1',
      },
    ]);
    const nested = tmp();
    mkdirSync(join(nested, 'ecgen-radiology'));
    mkdirSync(join(nested, 'NLMCXR_png'));
    writeFileSync(join(nested, 'ecgen-radiology', '1.xml'), openIXml('CXR1', 'CXR1_1_IM-0001-3001'));
    writeFileSync(join(nested, 'NLMCXR_png', 'CXR1_1_IM-0001-3001.png'), png());
    expect(loadRecords(nested, { sections: ['IMPRESSION'] }).records.map((r) => r.report)).toEqual([
      'IMPRESSION: Effusion.',
    ]);
  });

  it('reads a MIMIC-CXR-JPG root with the asked sections and subject ids as patients', () => {
    const root = tmp();
    writeFileSync(
      join(root, 'mimic-cxr-2.0.0-split.csv'),
      'dicom_id,study_id,subject_id,split\nd1,50000001,10000032,validate\n',
    );
    const study = join(root, 'files', 'p10', 'p10000032');
    mkdirSync(join(study, 's50000001'), { recursive: true });
    writeFileSync(
      join(study, 's50000001.txt'),
      'EXAMINATION: CHEST\n\nFINDINGS: Mild cardiomegaly.\n\nIMPRESSION: Cardiomegaly.\n',
    );
    writeFileSync(join(study, 's50000001', 'd1.jpg'), 'x');
    const loaded = loadRecords(root, { sections: ['IMPRESSION', 'FINDINGS'] });
    expect(loaded.kind).toBe('MIMIC-CXR-JPG');
    expect(loaded.records).toEqual([
      {
        id: '50000001/d1',
        imagePath: join(study, 's50000001', 'd1.jpg'),
        report: 'IMPRESSION: Cardiomegaly.\nFINDINGS: Mild cardiomegaly.',
        split: 'validation',
        patientId: '10000032',
        studyId: '50000001',
      },
    ]);
  });

  it('names a path that is none of the layouts', () => {
    const dir = tmp();
    expect(() => loadRecords(dir)).toThrow(
      `${dir}: not a manifest (.csv, .jsonl), a MIMIC-CXR-JPG folder (mimic-cxr-2.0.0-split.csv) or an Open-i folder (XML reports and PNG images)`,
    );
    expect(() => loadRecords(join(dir, 'nope.csv'))).toThrow(`${join(dir, 'nope.csv')}: no such file or folder`);
    writeFileSync(join(dir, 'data.txt'), 'x');
    expect(() => loadRecords(join(dir, 'data.txt'))).toThrow('a manifest must be a .csv or .jsonl file');
  });
});

describe('manifest reports with section headers', () => {
  it('are cut to the asked sections; reports without headers stay whole', () => {
    const { root } = writeManifest(2);
    const path = join(root, 'sections.jsonl');
    writeFileSync(
      path,
      [
        { image: 'images/0.png', report: 'INDICATION: cough.\nFINDINGS: Small left effusion.\nIMPRESSION: Effusion.' },
        { image: 'images/1.png', report: 'Heart size is normal.' },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
    expect(loadManifest(path, { sections: ['FINDINGS', 'IMPRESSION'] }).records.map((r) => r.report)).toEqual([
      'FINDINGS: Small left effusion.\nIMPRESSION: Effusion.',
      'Heart size is normal.',
    ]);
    expect(loadManifest(path).records[0]!.report).toBe(
      'INDICATION: cough.\nFINDINGS: Small left effusion.\nIMPRESSION: Effusion.',
    );
  });
});
