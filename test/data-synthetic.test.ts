// The synthetic chest X-ray data set: determinism, and findings that are visible where their labels
// say (measured on pixels, comparing the same case drawn with and without the finding).
import { mat3, vec2 } from 'gl-matrix';
import { describe, expect, it } from 'vitest';
import { type Anatomy, lungPoint, sideSign } from '../src/data/synthetic/anatomy.js';
import { createSyntheticDataset, splitNames, toUint8, type SyntheticDataset } from '../src/data/synthetic/dataset.js';
import type { Finding } from '../src/data/synthetic/findings.js';
import { pixelToAnatomy } from '../src/data/synthetic/render.js';

function finding(cls: string, over: Partial<Finding> = {}): Finding {
  return { cls, sides: [], zone: null, grade: null, kind: null, jitter: 0.5, ...over };
}

/** Mean brightness of the pixels whose anatomy coordinates fall inside a disk. */
function diskMean(ds: SyntheticDataset, img: Float32Array, a: Anatomy, cx: number, cy: number, r: number): number {
  const m = pixelToAnatomy(a, ds.size);
  let sum = 0;
  let n = 0;
  for (let row = 0; row < ds.size; row++) {
    for (let col = 0; col < ds.size; col++) {
      const x = m[0] * col + m[3] * row + m[6];
      const y = m[1] * col + m[4] * row + m[7];
      if ((x - cx) ** 2 + (y - cy) ** 2 < r * r) {
        sum += img[row * ds.size + col];
        n++;
      }
    }
  }
  if (n === 0) throw new Error('empty region');
  return sum / n;
}

function drawn(ds: SyntheticDataset, index: number, findings: Finding[]): { img: Float32Array; a: Anatomy } {
  const c = ds.caseOf(index);
  return { img: ds.render(index, { anatomy: c.anatomy, findings }), a: c.anatomy };
}

describe('synthetic data set: determinism', () => {
  it('gives byte-identical samples for the same seed, in any access order', () => {
    const a = createSyntheticDataset({ seed: 11, size: 48, count: 30 });
    const b = createSyntheticDataset({ seed: 11, size: 48, count: 30 });
    const streamed = [...a.batches('all', 7)].flatMap((batch) => batch.samples);
    for (const i of [29, 3, 0, 17]) {
      const x = b.sample(i);
      const y = streamed[i];
      expect(Buffer.from(x.image.buffer).equals(Buffer.from(y.image.buffer))).toBe(true);
      expect(x.report).toBe(y.report);
      expect(x.truth).toEqual(y.truth);
      expect(x.id).toBe(`synth-11-${i}`);
    }
  });

  it('differs between seeds', () => {
    const a = createSyntheticDataset({ seed: 1, size: 32, count: 5 });
    const b = createSyntheticDataset({ seed: 2, size: 32, count: 5 });
    let sameImages = 0;
    let sameReports = 0;
    for (let i = 0; i < 5; i++) {
      if (Buffer.from(toUint8(a.sample(i).image)).equals(Buffer.from(toUint8(b.sample(i).image)))) sameImages++;
      if (a.sample(i).report === b.sample(i).report) sameReports++;
    }
    expect(sameImages).toBe(0);
    expect(sameReports).toBeLessThan(5);
  });

  it('batches hold batchSize images back to back and the splits partition the indices', () => {
    const ds = createSyntheticDataset({
      seed: 5,
      size: 32,
      count: 200,
      splitFractions: { train: 0.6, validation: 0.2, test: 0.2 },
    });
    const parts = splitNames.map((n) => ds.split(n));
    expect(parts.reduce((s, p) => s + p.length, 0)).toBe(200);
    expect(new Set(parts.flat()).size).toBe(200);
    expect(parts[0].length).toBeGreaterThan(90);
    expect(parts[0].length).toBeLessThan(150);
    const batches = [...ds.batches('validation', 16)];
    expect(batches.flatMap((b) => b.samples.map((s) => s.index))).toEqual(parts[1]);
    expect(batches[0].images.length).toBe(16 * 32 * 32);
    expect(batches[0].images.subarray(32 * 32, 2 * 32 * 32)).toEqual(batches[0].samples[1].image);
    expect(batches.every((b) => b.samples.every((s) => s.split === 'validation'))).toBe(true);
  });

  it('draws classes with the configured frequencies', () => {
    const ds = createSyntheticDataset({ seed: 9, size: 32, count: 3000 });
    let normal = 0;
    let effusion = 0;
    for (let i = 0; i < ds.count; i++) {
      const f = ds.caseOf(i).findings;
      if (f.length === 0) normal++;
      if (f.some((x) => x.cls === 'Pleural Effusion')) effusion++;
    }
    expect(normal / ds.count).toBeGreaterThan(0.31);
    expect(normal / ds.count).toBeLessThan(0.39);
    expect(effusion / ds.count).toBeGreaterThan(0.12);
    expect(effusion / ds.count).toBeLessThan(0.22);
    const onlyEdema = createSyntheticDataset({
      seed: 9,
      count: 50,
      classFrequencies: { Edema: 0.5 },
      normalFraction: 0,
    });
    for (let i = 0; i < 50; i++) expect(onlyEdema.caseOf(i).findings.map((f) => f.cls)).toEqual(['Edema']);
  });

  it('rejects bad options with clear messages', () => {
    expect(() => createSyntheticDataset({ size: 16 })).toThrow(/size must be an integer from 32 to 224/);
    expect(() => createSyntheticDataset({ count: 3 }).sample(3)).toThrow(/index 3 out of range/);
    expect(() => createSyntheticDataset({ classFrequencies: { Unicorn: 1 } }).caseOf(0)).toThrow(
      /cannot draw class 'Unicorn'/,
    );
  });

  it('makes a 64 px sample in a few milliseconds', () => {
    const ds = createSyntheticDataset({ seed: 3, size: 64, count: 400 });
    for (let i = 0; i < 30; i++) ds.sample(i);
    // CPU time, not wall time, so other processes on a busy runner do not count against it.
    const t0 = process.cpuUsage();
    for (let i = 30; i < 230; i++) ds.sample(i);
    const used = process.cpuUsage(t0);
    const ms = (used.user + used.system) / 1000 / 200;
    console.log(`synthetic 64 px: ${ms.toFixed(2)} ms CPU per sample`);
    expect(ms).toBeLessThan(5);
  });
});

describe.each([32, 64])('synthetic findings are visible at %i px', (size) => {
  const ds = createSyntheticDataset({ seed: 21, size, count: 50 });
  const cases = [0, 1, 2, 3, 4, 5];

  it('a normal film has dark lungs, a bright heart and a bright abdomen', () => {
    for (const i of cases) {
      const { img, a } = drawn(ds, i, []);
      const lung = lungPoint(a, 'right', 0.45, 0.6);
      const lungMean = diskMean(ds, img, a, lung.x, lung.y, 0.1);
      expect(diskMean(ds, img, a, a.heartCenterX, a.heartCenterY, 0.08)).toBeGreaterThan(lungMean + 0.25);
      expect(diskMean(ds, img, a, -0.4, a.angleY.right + 0.25, 0.08)).toBeGreaterThan(lungMean + 0.25);
    }
  });

  it('a left pleural effusion brightens the left costophrenic angle (image right) and not the right one', () => {
    for (const i of cases) {
      const without = drawn(ds, i, []);
      const withLeft = drawn(ds, i, [finding('Pleural Effusion', { sides: ['left'], grade: 'small' })]);
      const angle = (side: 'left' | 'right', img: Float32Array) =>
        diskMean(
          ds,
          img,
          without.a,
          sideSign(side) * 0.8 * without.a.thoraxHalfWidth,
          without.a.angleY[side] - 0.07,
          0.07,
        );
      expect(angle('left', withLeft.img) - angle('left', without.img)).toBeGreaterThan(0.1);
      expect(Math.abs(angle('right', withLeft.img) - angle('right', without.img))).toBeLessThan(0.01);
      expect(sideSign('left')).toBe(1);
    }
  });

  it('the measured heart width grows with the degree of cardiomegaly', () => {
    const heartWidth = (img: Float32Array, a: Anatomy): number => {
      // Threshold the brightness profile across the heart row halfway between lung and heart.
      const toPixel = mat3.invert(mat3.create(), pixelToAnatomy(a, ds.size))!;
      const centrePixel = vec2.transformMat3(vec2.create(), [a.heartCenterX, a.heartCenterY], toPixel);
      const row = Math.round(centrePixel[1]);
      const centre = Math.round(centrePixel[0]);
      const profile = Array.from({ length: ds.size }, (_, col) => img[row * ds.size + col]);
      const lung = Math.min(...profile.slice(Math.round(ds.size * 0.2), Math.round(ds.size * 0.8)));
      const threshold = (lung + profile[centre]) / 2;
      let lo = centre;
      let hi = centre;
      while (lo > 0 && profile[lo - 1] > threshold) lo--;
      while (hi < ds.size - 1 && profile[hi + 1] > threshold) hi++;
      return hi - lo + 1;
    };
    for (const i of cases) {
      const widths = [null, 'mild', 'moderate', 'severe'].map((grade) => {
        const { img, a } = drawn(ds, i, grade ? [finding('Cardiomegaly', { grade })] : []);
        return heartWidth(img, a);
      });
      // At 32 px one grade step is under a pixel per side, so there only the overall growth must show.
      const step = size >= 64 ? 2 : 0;
      for (let k = 1; k < widths.length; k++)
        expect(widths[k], `case ${i} widths ${widths}`).toBeGreaterThanOrEqual(widths[k - 1] + step);
      expect(widths[3] - widths[0], `case ${i} widths ${widths}`).toBeGreaterThanOrEqual(size >= 64 ? 8 : 4);
    }
  });

  it('a right pneumothorax darkens the right apex periphery (image left) and leaves the left alone', () => {
    for (const i of cases) {
      const without = drawn(ds, i, []);
      const withPtx = drawn(ds, i, [finding('Pneumothorax', { sides: ['right'], grade: 'large' })]);
      const region = (side: 'left' | 'right', img: Float32Array) => {
        const p = lungPoint(without.a, side, 0.3, 0.85);
        return diskMean(ds, img, without.a, p.x, p.y, 0.08);
      };
      expect(region('right', without.img) - region('right', withPtx.img)).toBeGreaterThan(0.03);
      expect(Math.abs(region('left', withPtx.img) - region('left', without.img))).toBeLessThan(0.01);
    }
  });

  it('zonal opacities, nodules, masses and edema brighten their own place', () => {
    const checks: {
      f: Finding;
      at: (a: Anatomy) => { x: number; y: number };
      control: (a: Anatomy) => { x: number; y: number };
    }[] = [
      {
        f: finding('Consolidation', { sides: ['right'], zone: 'lower', kind: 'focal' }),
        at: (a) => lungPoint(a, 'right', 0.8, 0.6),
        control: (a) => lungPoint(a, 'left', 0.8, 0.6),
      },
      {
        f: finding('Lung Opacity', { sides: ['left'], zone: 'upper', kind: 'hazy' }),
        at: (a) => lungPoint(a, 'left', 0.3, 0.55),
        control: (a) => lungPoint(a, 'right', 0.3, 0.55),
      },
      {
        f: finding('Mass', { sides: ['left'], zone: 'middle', grade: 'large' }),
        at: (a) => lungPoint(a, 'left', 0.58, 0.55),
        control: (a) => lungPoint(a, 'right', 0.58, 0.55),
      },
      {
        f: finding('Nodule', { sides: ['right'], zone: 'upper' }),
        at: (a) => lungPoint(a, 'right', 0.3, 0.55),
        control: (a) => lungPoint(a, 'left', 0.3, 0.55),
      },
      {
        f: finding('Edema', { sides: ['left', 'right'], zone: 'perihilar', grade: 'severe' }),
        at: (a) => lungPoint(a, 'left', 0.5, 0.45),
        control: (a) => lungPoint(a, 'right', 0.08, 0.95),
      },
    ];
    for (const i of cases) {
      const without = drawn(ds, i, []);
      for (const c of checks) {
        const img = drawn(ds, i, [c.f]).img;
        const mean = (p: { x: number; y: number }, im: Float32Array) =>
          diskMean(ds, im, without.a, p.x, p.y, c.f.cls === 'Nodule' ? Math.max(0.035, 1.5 / size) : 0.06);
        expect(mean(c.at(without.a), img) - mean(c.at(without.a), without.img), `${c.f.cls} case ${i}`).toBeGreaterThan(
          0.07,
        );
        expect(
          Math.abs(mean(c.control(without.a), img) - mean(c.control(without.a), without.img)),
          `${c.f.cls} control case ${i}`,
        ).toBeLessThan(0.02);
      }
    }
  });
});
