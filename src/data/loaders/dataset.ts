// A streamed data set over real image/report records: each batch decodes its images, resizes them to
// the model size, optionally augments them, and labels the reports with OBER. An image that cannot
// be read or decoded is skipped (counted, named, one stderr line) and the batch goes on.
import { readFileSync } from 'node:fs';
import type { EntitySet } from '../../ober/entities.js';
import { recognize } from '../../ober/recognize.js';
import { type AugmentOptions, augment, decodeImage, resizeSquare } from '../image.js';
import { Rng, Stream, hash32 } from '../../util/rng.js';
import type { SplitName } from '../synthetic/dataset.js';
import { type ImageReportRecord, SkipLog, type Skipped, errorMessage } from './records.js';

export interface LabeledSample {
  id: string;
  split?: SplitName;
  image: Float32Array;
  size: number;
  report: string;
  labels: Record<string, 1 | 0 | -1>;
  truth: EntitySet;
}

export interface RealBatch {
  samples: LabeledSample[];
  images: Float32Array;
}

export interface RealDatasetOptions {
  size: number;
  /** Augments training images when set (seeded, so epochs are reproducible). */
  augment?: { seed: number; epoch?: number; options?: AugmentOptions };
  warn?: (line: string) => void;
}

export interface RealDataset {
  readonly records: ImageReportRecord[];
  /** Files skipped while reading images so far. */
  readonly skipped: Skipped[];
  /** Loads and labels one record; null (and a skip entry) when its image cannot be used. */
  load(record: ImageReportRecord): LabeledSample | null;
  batches(split: SplitName | 'all', batchSize: number): Generator<RealBatch>;
}

export function createImageReportDataset(records: ImageReportRecord[], options: RealDatasetOptions): RealDataset {
  const { size } = options;
  if (!Number.isInteger(size) || size < 8 || size > 1024) throw new Error(`image size must be an integer from 8 to 1024, got ${size}`);
  const log = new SkipLog(options.warn);

  const load = (record: ImageReportRecord): LabeledSample | null => {
    let image: Float32Array;
    try {
      image = resizeSquare(decodeImage(readFileSync(record.imagePath)), size);
    } catch (err) {
      log.add(record.imagePath, `unreadable image: ${errorMessage(err)}`);
      return null;
    }
    if (options.augment && record.split === 'train') {
      const { seed, epoch = 0, options: aug } = options.augment;
      image = augment(image, size, new Rng(seed, epoch, hash32(...[...record.id].map((c) => c.charCodeAt(0))), Stream.Augment), aug);
    }
    const r = recognize(record.report);
    return { id: record.id, split: record.split, image, size, report: record.report, labels: r.labels, truth: r.entities };
  };

  function* batches(split: SplitName | 'all', batchSize: number): Generator<RealBatch> {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batch size must be a positive integer, got ${batchSize}`);
    let pending: LabeledSample[] = [];
    const flush = (): RealBatch => {
      const images = new Float32Array(pending.length * size * size);
      pending.forEach((s, k) => images.set(s.image, k * size * size));
      const batch = { samples: pending, images };
      pending = [];
      return batch;
    };
    for (const record of records) {
      if (split !== 'all' && record.split !== split) continue;
      const sample = load(record);
      if (!sample) continue;
      pending.push(sample);
      if (pending.length === batchSize) yield flush();
    }
    if (pending.length > 0) yield flush();
  }

  return { records, skipped: log.skipped, load, batches };
}
