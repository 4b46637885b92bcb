// A paired data set whose samples are already in memory, pixels included: what the demo page builds from a
// real-data run's test images, fetched from the demo server and prepared as the run prepared them. No file
// system, so it runs in the browser.
import type { EntitySet } from '../ober/entities.js';
import { splitNames, type PairedDataset, type PairedSample, type SampleInfo, type SplitName } from './paired.js';

export interface MemorySample extends Omit<SampleInfo, 'index'> {
  image: Float32Array;
}

export interface MemoryDatasetOptions {
  description: string;
  size: number;
  /** The truth a sample is judged by (OBER's reading of its report). */
  entities: (id: string, report: string) => EntitySet;
  /** A query image file's bytes prepared as the samples were. */
  prepareImage: (bytes: Uint8Array) => Float32Array;
}

export function createMemoryDataset(samples: readonly MemorySample[], options: MemoryDatasetOptions): PairedDataset {
  for (const s of samples) {
    if (s.image.length !== options.size * options.size)
      throw new Error(`sample ${s.id}: image has ${s.image.length} pixels, expected ${options.size}×${options.size}`);
  }
  const check = (i: number) => {
    if (!Number.isInteger(i) || i < 0 || i >= samples.length)
      throw new Error(`data set: sample index ${i} out of range [0, ${samples.length})`);
  };
  const info = (i: number): SampleInfo => {
    check(i);
    const { image: _image, ...rest } = samples[i]!;
    return { ...rest, index: i };
  };
  const sample = (i: number): PairedSample => ({
    ...info(i),
    image: samples[i]!.image,
    size: options.size,
    truth: options.entities(samples[i]!.id, samples[i]!.report),
  });
  return {
    description: options.description,
    size: options.size,
    count: samples.length,
    info,
    truth: (i) => sample(i).truth,
    sample,
    samples: (indices) => indices.map(sample),
    split: (name: SplitName) => {
      if (!splitNames.includes(name))
        throw new Error(`data set: unknown split '${name}' (use ${splitNames.join(', ')})`);
      return samples.flatMap((s, i) => (s.split === name ? [i] : []));
    },
    prepareImage: options.prepareImage,
    dataWaitMs: 0,
  };
}
