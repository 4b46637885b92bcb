// Search over the test split with a demo model, the way `medtrim search` does it (src/cli/commands/search.ts):
// every test image and report embedded with src/train/evaluate.ts, a query embedded the same way, top-k by
// cosine on the GPU (retrieveTopk).
import type { PairedSample } from '../../data/paired.js';
import type { Runtime } from '../../gpu/runtime.js';
import { retrieveTopk } from '../../ops/topk.js';
import { tensorFrom } from '../../tensor/tensor.js';
import { embedSamples, embedTexts, type Embeddings } from '../../train/evaluate.js';
import type { DemoModel } from './demo-model.js';

export interface Hit {
  /** Sample index in the data set. */
  index: number;
  id: string;
  score: number;
}

export class RetrievalIndex {
  private constructor(
    private readonly rt: Runtime,
    readonly demo: DemoModel,
    readonly samples: PairedSample[],
    readonly corpus: Embeddings,
  ) {}

  /** Embeds every test image and report of the model's data set. */
  static async build(rt: Runtime, demo: DemoModel): Promise<RetrievalIndex> {
    const samples = demo.data.dataset.split('test').map((i) => demo.data.dataset.sample(i));
    if (samples.length === 0) throw new Error(`the data set (${demo.data.dataset.description}) has no test samples`);
    return new RetrievalIndex(rt, demo, samples, await embedSamples(rt, demo.model, demo.data, samples));
  }

  /** Position of a data-set sample in the test split, or a clear error. */
  position(index: number): number {
    const at = this.samples.findIndex((s) => s.index === index);
    if (at < 0)
      throw new Error(
        `sample ${index} is not in the test split (test samples: ${this.samples.map((s) => s.index).join(', ')})`,
      );
    return at;
  }

  /** Embedding rows (L2-normalised) of the given test samples' images or reports, as Node computes them. */
  rows(kind: 'images' | 'texts', indices: readonly number[]): number[][] {
    const { dim } = this.corpus;
    return indices.map((index) => {
      const at = this.position(index);
      return Array.from(this.corpus[kind].subarray(at * dim, (at + 1) * dim));
    });
  }

  /** The k test images nearest to a report. */
  async searchText(report: string, k: number): Promise<Hit[]> {
    if (report.trim() === '') throw new Error('type a report to search for');
    const query = await embedTexts(this.rt, this.demo.model, this.demo.data, [report]);
    return this.nearest(query, this.corpus.images, k);
  }

  /** The k test reports nearest to test sample `index`'s image. */
  async searchImage(index: number, k: number): Promise<Hit[]> {
    const { dim } = this.corpus;
    const at = this.position(index);
    return this.nearest(this.corpus.images.slice(at * dim, (at + 1) * dim), this.corpus.texts, k);
  }

  private async nearest(query: Float32Array, keys: Float32Array, k: number): Promise<Hit[]> {
    if (!(Number.isInteger(k) && k >= 1 && k <= 256)) throw new Error(`k must be an integer from 1 to 256, got ${k}`);
    const { dim } = this.corpus;
    const keyTensor = tensorFrom(this.rt, keys, [keys.length / dim, dim]).keep();
    const queryTensor = tensorFrom(this.rt, query, [1, dim]).keep();
    try {
      const { values, indices } = await retrieveTopk(queryTensor, keyTensor, k);
      return Array.from(indices)
        .map((position, rank) => ({ position, score: values[rank]! }))
        .filter((h) => h.position >= 0)
        .map(({ position, score }) => ({
          index: this.samples[position]!.index,
          id: this.samples[position]!.id,
          score,
        }));
    } finally {
      keyTensor.dispose();
      queryTensor.dispose();
    }
  }
}
