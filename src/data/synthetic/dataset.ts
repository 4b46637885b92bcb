// The synthetic paired image/report data set. Sample i is a pure function of (seed, i): anatomy,
// findings, report and pixel noise each come from their own counter-based stream, so streaming,
// random access and parallel generation all give the same bytes, and 100k samples need no more
// memory than one batch.
import type { EntitySet } from '../../ober/entities.js';
import { loadOntology } from '../../ober/ontology.js';
import { augment, decodeImage, resizeSquare } from '../image.js';
import {
  splitNames,
  type PairedDataset,
  type PairedSample,
  type SampleInfo,
  type SampleOptions,
  type SplitName,
} from '../paired.js';
import { Rng, Stream, hashUnit } from '../../util/rng.js';
import { type Anatomy, sampleAnatomy } from './anatomy.js';
import { type Finding, findingAdjectives, findingDirections, painterFor } from './findings.js';
import { renderRadiograph } from './render.js';
import { writeReport } from './report.js';
import { defaultClassFrequencies, defaultNormalFraction, drawFindings } from './sampling.js';

export { splitNames, type SplitName };

export interface SyntheticOptions {
  seed?: number;
  /** Image side in pixels, 32 to 224. */
  size?: number;
  /** Number of samples. */
  count?: number;
  /** Fractions of train, validation and test; normalised to sum to 1. */
  splitFractions?: Partial<Record<SplitName, number>>;
  /** Share of samples showing each class (see defaultClassFrequencies for the drawable classes). */
  classFrequencies?: Record<string, number>;
  /** Share of normal ("No Finding") samples. */
  normalFraction?: number;
  /** Chance that a report hedges one absent finding. */
  hedgeRate?: number;
}

export interface SyntheticSample extends PairedSample {
  /** Positive classes with the canonical descriptors the report states. */
  truth: EntitySet;
  negated: string[];
  uncertain: string[];
  /** What was drawn (for pixel-level checks). */
  findings: Finding[];
}

export interface SyntheticBatch {
  samples: SyntheticSample[];
  /** batch×size×size images back to back. */
  images: Float32Array;
}

/** The drawable part of a case, before rendering: tests re-render it with findings removed. */
export interface SyntheticCase {
  anatomy: Anatomy;
  findings: Finding[];
}

export interface SyntheticDataset extends PairedDataset {
  readonly seed: number;
  splitOf(index: number): SplitName;
  caseOf(index: number): SyntheticCase;
  /** Renders a case at the data set's size with sample `index`'s pixel noise. */
  render(index: number, c: SyntheticCase): Float32Array;
  sample(index: number, options?: SampleOptions): SyntheticSample;
  samples(indices: readonly number[], options?: SampleOptions): SyntheticSample[];
  batches(split: SplitName | 'all', batchSize: number): Generator<SyntheticBatch>;
}

function parentsOf(): Map<string, string> {
  return new Map(
    loadOntology()
      .classes.filter((c) => c.parent)
      .map((c) => [c.name, c.parent!]),
  );
}

function union(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])].sort();
}

/**
 * Ground truth of a case: each drawn class with its stated descriptors; a finer class also sets its
 * parent. "No Finding" follows CheXpert: set when nothing but support devices is positive and no
 * finding is hedged.
 */
export function truthOf(findings: Finding[], uncertain: string[]): EntitySet {
  const noFinding = uncertain.length === 0 && findings.every((f) => f.cls === 'Support Devices');
  const parents = parentsOf();
  const truth: EntitySet = {};
  const add = (cls: string, adjectives: string[], directions: string[]) => {
    const prev = truth[cls];
    truth[cls] = prev
      ? { adjectives: union(prev.adjectives, adjectives), directions: union(prev.directions, directions) }
      : { adjectives, directions };
  };
  for (const f of findings) {
    add(f.cls, findingAdjectives(f), findingDirections(f));
    const parent = parents.get(f.cls);
    if (parent) add(parent, findingAdjectives(f), findingDirections(f));
  }
  if (noFinding) truth['No Finding'] = { adjectives: [], directions: [] };
  return Object.fromEntries(
    Object.keys(truth)
      .sort()
      .map((k) => [k, truth[k]]),
  );
}

function checkOptions(o: SyntheticOptions): Required<Pick<SyntheticOptions, 'seed' | 'size' | 'count'>> {
  const seed = o.seed ?? 0;
  const size = o.size ?? 64;
  const count = o.count ?? 10_000;
  if (!Number.isInteger(seed)) throw new Error(`synthetic data: seed must be an integer, got ${seed}`);
  if (!Number.isInteger(size) || size < 32 || size > 224)
    throw new Error(`synthetic data: size must be an integer from 32 to 224, got ${size}`);
  if (!Number.isInteger(count) || count < 0)
    throw new Error(`synthetic data: count must be a non-negative integer, got ${count}`);
  return { seed, size, count };
}

function splitThresholds(fractions: Partial<Record<SplitName, number>> | undefined): number[] {
  const f = { train: 0.8, validation: 0.1, test: 0.1, ...fractions };
  const values = splitNames.map((n) => f[n]);
  if (values.some((v) => !(v >= 0)))
    throw new Error(`synthetic data: split fractions must be non-negative, got ${JSON.stringify(f)}`);
  const total = values.reduce((s, v) => s + v, 0);
  if (!(total > 0)) throw new Error('synthetic data: split fractions must not all be zero');
  return [values[0] / total, (values[0] + values[1]) / total];
}

export function createSyntheticDataset(options: SyntheticOptions = {}): SyntheticDataset {
  const { seed, size, count } = checkOptions(options);
  const frequencies = options.classFrequencies ?? defaultClassFrequencies;
  const normalFraction = options.normalFraction ?? defaultNormalFraction;
  if (!(normalFraction >= 0 && normalFraction <= 1))
    throw new Error(`synthetic data: normalFraction must be in [0, 1], got ${normalFraction}`);
  const [trainEnd, validationEnd] = splitThresholds(options.splitFractions);

  const checkIndex = (i: number) => {
    if (!Number.isInteger(i) || i < 0 || i >= count)
      throw new Error(`synthetic data: sample index ${i} out of range [0, ${count})`);
  };
  const splitOf = (i: number): SplitName => {
    const u = hashUnit(seed, i, Stream.Split);
    return u < trainEnd ? 'train' : u < validationEnd ? 'validation' : 'test';
  };
  const caseOf = (i: number): SyntheticCase => ({
    anatomy: sampleAnatomy(new Rng(seed, i, Stream.Anatomy)),
    findings: drawFindings(new Rng(seed, i, Stream.Findings), frequencies, normalFraction),
  });
  const render = (i: number, c: SyntheticCase) =>
    renderRadiograph(
      c.anatomy,
      c.findings.map((f) => painterFor(c.anatomy, f)),
      size,
      new Rng(seed, i, Stream.Noise),
    );

  const id = (i: number) => `synth-${seed}-${i}`;
  const info = (i: number): SampleInfo => {
    checkIndex(i);
    return {
      id: id(i),
      index: i,
      split: splitOf(i),
      report: writeReport(caseOf(i).findings, new Rng(seed, i, Stream.Report), options.hedgeRate).text,
      source: 'generated',
    };
  };
  let dataWaitMs = 0;
  const sample = (i: number, sampleOptions: SampleOptions = {}): SyntheticSample => {
    checkIndex(i);
    const started = performance.now();
    const c = caseOf(i);
    const report = writeReport(c.findings, new Rng(seed, i, Stream.Report), options.hedgeRate);
    let image = render(i, c);
    if (sampleOptions.augmentEpoch !== undefined)
      image = augment(image, size, new Rng(seed, sampleOptions.augmentEpoch, i, Stream.Augment));
    dataWaitMs += performance.now() - started;
    return {
      id: id(i),
      index: i,
      split: splitOf(i),
      image,
      size,
      source: 'generated',
      report: report.text,
      truth: truthOf(c.findings, report.uncertain),
      negated: report.negated,
      uncertain: report.uncertain,
      findings: c.findings,
    };
  };

  const split = (name: SplitName): number[] => {
    if (!splitNames.includes(name))
      throw new Error(`synthetic data: unknown split '${name}' (use ${splitNames.join(', ')})`);
    const out: number[] = [];
    for (let i = 0; i < count; i++) if (splitOf(i) === name) out.push(i);
    return out;
  };

  function* batches(name: SplitName | 'all', batchSize: number): Generator<SyntheticBatch> {
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new Error(`synthetic data: batch size must be a positive integer, got ${batchSize}`);
    let pending: SyntheticSample[] = [];
    const flush = (): SyntheticBatch => {
      const images = new Float32Array(pending.length * size * size);
      pending.forEach((s, k) => images.set(s.image, k * size * size));
      const batch = { samples: pending, images };
      pending = [];
      return batch;
    };
    for (let i = 0; i < count; i++) {
      if (name !== 'all' && splitOf(i) !== name) continue;
      pending.push(sample(i));
      if (pending.length === batchSize) yield flush();
    }
    if (pending.length > 0) yield flush();
  }

  return {
    description: `built-in synthetic chest X-rays (seed ${seed}, ${count} samples, ${size} px)`,
    seed,
    size,
    count,
    splitOf,
    caseOf,
    render,
    info,
    sample,
    split,
    batches,
    truth: (i) => {
      checkIndex(i);
      const c = caseOf(i);
      return truthOf(c.findings, writeReport(c.findings, new Rng(seed, i, Stream.Report), options.hedgeRate).uncertain);
    },
    samples: (indices, sampleOptions) => indices.map((i) => sample(i, sampleOptions)),
    // Exported samples are square PNGs of [0, 1] brightness, read back as they are.
    prepareImage: (bytes) => resizeSquare(decodeImage(bytes), size),
    get dataWaitMs() {
      return dataWaitMs;
    },
  };
}

/** 8-bit view of a [0, 1] image (rounded, clamped). */
export function toUint8(image: Float32Array): Uint8Array {
  const out = new Uint8Array(image.length);
  for (let i = 0; i < image.length; i++) out[i] = Math.round(Math.min(1, Math.max(0, image[i])) * 255);
  return out;
}
