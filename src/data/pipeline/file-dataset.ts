// A paired data set over image files and their reports (records from a manifest, MIMIC-CXR-JPG or Open-i,
// with splits assigned): the reports and ids live in memory, the pixels never do beyond the pipeline's
// slots — each batch is decoded by worker threads (or read from the resized-image cache) while the
// previous one trains. An image that cannot be used stops the run with one line naming the file, or, with
// skipBadImages, is logged once and replaced by the next usable sample of its split.
import type { EntitySet } from '../../ober/entities.js';
import { errorMessage, type ImageReportRecord } from '../loaders/records.js';
import {
  splitNames,
  type PairedDataset,
  type PairedSample,
  type SampleInfo,
  type SampleOptions,
  type SplitName,
} from '../paired.js';
import { hash32, Stream } from '../../util/rng.js';
import { prepareImage, type ImageFit } from './fit.js';
import { ImagePipeline, type ImageJob } from './image-pipeline.js';

export interface FileDatasetOptions {
  description: string;
  size: number;
  fit: ImageFit;
  /** Resized-image cache folder; none: decode every time. */
  cacheDir?: string;
  /** Decoding worker threads (0: decode on the main thread). */
  workers: number;
  /** Largest batch asked for at once: prefetching always leaves this many slots free. */
  batchSize: number;
  /** Batches decoded ahead. */
  prefetchBatches: number;
  /** Seeds the training augmentation. */
  augmentSeed: number;
  skipBadImages: boolean;
  /** The entities evaluation judges relevance by (OBER's reading, from the run's cache). */
  entities: (id: string, report: string) => EntitySet;
  warn?: (line: string) => void;
}

function idHash(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (Math.imul(h, 31) + id.charCodeAt(i)) | 0;
  return h;
}

export function createFileDataset(records: readonly ImageReportRecord[], options: FileDatasetOptions): PairedDataset {
  const { size } = options;
  if (!Number.isInteger(size) || size < 8 || size > 1024)
    throw new Error(`image size must be an integer from 8 to 1024, got ${size}`);
  const bySplit = new Map<SplitName, number[]>(splitNames.map((s) => [s, []]));
  records.forEach((r, i) => {
    if (!r.split) throw new Error(`record ${r.id} has no split`);
    bySplit.get(r.split)!.push(i);
  });
  const warn = options.warn ?? ((line: string) => process.stderr.write(line + '\n'));
  const pipeline = new ImagePipeline({
    size,
    fit: options.fit,
    cacheDir: options.cacheDir,
    workers: options.workers,
    slots: Math.max(1, options.batchSize * (options.prefetchBatches + 1)),
  });
  const bad = new Set<number>();
  let prefetched = new Set<string>();

  const checkIndex = (i: number) => {
    if (!Number.isInteger(i) || i < 0 || i >= records.length)
      throw new Error(`data set: sample index ${i} out of range [0, ${records.length})`);
  };
  const info = (i: number): SampleInfo => {
    checkIndex(i);
    const r = records[i]!;
    return {
      id: r.id,
      index: i,
      split: r.split!,
      report: r.report,
      patientId: r.patientId,
      studyId: r.studyId,
      source: r.imagePath,
    };
  };
  const key = (i: number, o: SampleOptions) => `${i}@${o.augmentEpoch ?? '-'}`;
  const job = (i: number, o: SampleOptions): ImageJob => ({
    path: records[i]!.imagePath,
    augmentKey:
      o.augmentEpoch === undefined
        ? undefined
        : [options.augmentSeed, o.augmentEpoch, hash32(idHash(records[i]!.id)), Stream.Augment],
  });
  /** The next usable sample of i's split after i (cyclic), for a bad image under skipBadImages. */
  const replacement = (i: number): number => {
    const split = bySplit.get(records[i]!.split!)!;
    const at = split.indexOf(i);
    for (let k = 1; k < split.length; k++) {
      const j = split[(at + k) % split.length]!;
      if (!bad.has(j)) return j;
    }
    throw new Error(`every image of the ${records[i]!.split} split is unusable (last: ${records[i]!.imagePath})`);
  };

  const pixels = (i: number, o: SampleOptions): { index: number; image: Float32Array } => {
    for (;;) {
      if (bad.has(i)) {
        i = replacement(i);
        continue;
      }
      try {
        return { index: i, image: pipeline.take(key(i, o), job(i, o)) };
      } catch (err) {
        if (!options.skipBadImages) throw new Error(errorMessage(err));
        bad.add(i);
        warn(`medtrim data: skipped ${errorMessage(err)} (--skip-bad-images)`);
      }
    }
  };

  const toSample = (i: number, image: Float32Array): PairedSample => {
    const base = info(i);
    return { ...base, image, size, truth: options.entities(base.id, base.report) };
  };

  const samples = (indices: readonly number[], o: SampleOptions = {}): PairedSample[] => {
    indices.forEach(checkIndex);
    const wanted = new Set(indices.map((i) => key(i, o)));
    if (pipeline.available < wanted.size)
      pipeline.discard(pipeline.inFlightKeys().filter((k) => !wanted.has(k) && !prefetched.has(k)));
    for (const i of indices) if (!bad.has(i)) pipeline.request(key(i, o), job(i, o));
    const done = new Map<string, { index: number; image: Float32Array }>();
    return indices.map((i) => {
      const k = key(i, o);
      let got = done.get(k);
      if (!got) done.set(k, (got = pixels(i, o)));
      return toSample(got.index, got.image);
    });
  };

  return {
    description: options.description,
    size,
    count: records.length,
    info,
    prepareImage: (bytes) => prepareImage(bytes, size, options.fit),
    truth: (i) => {
      const { id, report } = info(i);
      return options.entities(id, report);
    },
    sample: (i, o) => samples([i], o)[0]!,
    samples,
    split: (name) => {
      const out = bySplit.get(name);
      if (!out) throw new Error(`data set: unknown split '${name}' (use ${splitNames.join(', ')})`);
      return [...out];
    },
    prefetch(indices, o = {}) {
      prefetched = new Set();
      for (const i of indices) {
        if (pipeline.available <= options.batchSize) break;
        if (bad.has(i)) continue;
        const k = key(i, o);
        prefetched.add(k);
        pipeline.request(k, job(i, o));
      }
    },
    get dataWaitMs() {
      return pipeline.waitMs;
    },
    close: () => pipeline.close(),
  };
}
