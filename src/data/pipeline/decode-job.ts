// One image's work, the same in a worker and on the main thread: the cached pixels or a fresh decode (which
// fills the cache), then the training augmentation when asked.
import { augment } from '../image.js';
import { Rng } from '../../util/rng.js';
import { ImageCache } from './cache.js';
import type { ImageFit } from './fit.js';
import { loadImageFile } from './image-file.js';

export interface DecodeSettings {
  size: number;
  fit: ImageFit;
  /** Folder of the resized-image cache; none: always decode. */
  cacheDir?: string;
}

export interface DecodeJob {
  slot: number;
  path: string;
  /** The augmentation's random stream key; none: no augmentation. */
  augmentKey?: number[];
}

export class Decoder {
  private readonly cache: ImageCache | null;

  constructor(readonly settings: DecodeSettings) {
    this.cache = settings.cacheDir ? new ImageCache(settings.cacheDir, settings.size, settings.fit) : null;
  }

  /** The job's pixels; throws one line naming the file. */
  run(job: Omit<DecodeJob, 'slot'>): Float32Array {
    let pixels = this.cache?.read(job.path) ?? null;
    if (!pixels) {
      pixels = loadImageFile(job.path, this.settings.size, this.settings.fit);
      this.cache?.write(job.path, pixels);
    }
    return job.augmentKey ? augment(pixels, this.settings.size, new Rng(...job.augmentKey)) : pixels;
  }
}
