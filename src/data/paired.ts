// The one data-set interface the trainer, evaluation, search, embed and the demo read: paired chest X-ray
// images and reports, each with an id, a split and (where the data set knows them) a patient and a study.
// The built-in generator (src/data/synthetic/dataset.ts) and the real-data sets built from loader records
// (src/data/pipeline/file-dataset.ts) both implement it; nothing downstream knows which one it reads.
import type { EntitySet } from '../ober/entities.js';

export type SplitName = 'train' | 'validation' | 'test';
export const splitNames: readonly SplitName[] = ['train', 'validation', 'test'];

/** What a sample is without its pixels (cheap: no decoding, no rendering). */
export interface SampleInfo {
  id: string;
  /** Position in the data set, 0 … count−1. */
  index: number;
  split: SplitName;
  report: string;
  patientId?: string;
  studyId?: string;
  /** Where the pixels come from: an image file's path, or `generated` for rendered samples. */
  source: string;
}

export interface PairedSample extends SampleInfo {
  /** size×size grayscale brightness in [0, 1], row-major, top row first. */
  image: Float32Array;
  size: number;
  /**
   * The positive disease classes with their descriptors, which evaluation judges relevance by: the
   * generator's ground truth for rendered samples, OBER's reading of the report for real ones.
   */
  truth: EntitySet;
}

export interface SampleOptions {
  /** Augments the pixels (seeded by the data set's augmentation seed, this epoch and the sample id). */
  augmentEpoch?: number;
}

export interface PairedDataset {
  /** One line for logs and reports: what the data is and where it comes from. */
  readonly description: string;
  /** Side of the square images the samples carry. */
  readonly size: number;
  /** Number of samples over all splits. */
  readonly count: number;
  info(index: number): SampleInfo;
  /** The sample's truth (see PairedSample.truth), without its pixels. */
  truth(index: number): EntitySet;
  sample(index: number, options?: SampleOptions): PairedSample;
  /** Several samples at once (a pipeline decodes them side by side), in the order asked. */
  samples(indices: readonly number[], options?: SampleOptions): PairedSample[];
  /** Indices of one split, ascending. */
  split(name: SplitName): number[];
  /** A query image file's bytes (PNG or JPEG) as this data set prepares its own images; throws one line. */
  prepareImage(bytes: Uint8Array): Float32Array;
  /** Announces samples that will be asked for soon, so that a decoding pipeline can start on them. */
  prefetch?(indices: readonly number[], options?: SampleOptions): void;
  /** Milliseconds the caller has spent waiting for pixels (decoding, rendering, or reading the cache) so far. */
  readonly dataWaitMs: number;
  /** Stops worker threads and closes files; the data set is unusable afterwards. */
  close?(): Promise<void>;
}
