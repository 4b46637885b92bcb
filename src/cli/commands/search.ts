// `medtrim search` and `medtrim embed`: query a trained run — a report against the test images, an image
// against the test reports — or print embeddings.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { noGrad } from '../../autograd/index.js';
import { maxImagePixels } from '../../data/image.js';
import { acquireGpu, type BackendChoice } from '../../gpu/device.js';
import { Runtime } from '../../gpu/runtime.js';
import { retrieveTopk } from '../../ops/topk.js';
import { tensorFrom, tidy } from '../../tensor/tensor.js';
import { embedSamples, embedTexts } from '../../train/evaluate.js';
import { openRun, type LoadedRun } from '../../train/run.js';
import type { Command } from '../command.js';
import { integerFlag, UsageError } from './shared.js';

const OPTIONS = {
  run: { type: 'string' },
  text: { type: 'string', multiple: true },
  image: { type: 'string', multiple: true },
  k: { type: 'string' },
  data: { type: 'string' },
  backend: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** A PNG/JPEG file's pixels at the model's input size, prepared as the run's data set prepares its images. */
function loadImage(run: LoadedRun, path: string): Float32Array {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new Error(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    return run.data.dataset.prepareImage(bytes);
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`);
  }
}

async function embedImageFiles(run: LoadedRun, rt: Runtime, paths: string[]): Promise<Float32Array> {
  const samples = paths.map((p) => ({ image: loadImage(run, p) }));
  const rows = tidy(() =>
    noGrad(() => run.model.embedImages(run.data.uploadImages(rt, samples, run.model.vit.channels))),
  ).keep();
  const out = (await rows.read()) as Float32Array;
  rows.dispose();
  return out;
}

async function withRun<T>(
  values: { run?: string; backend?: string; data?: string },
  fn: (run: LoadedRun, rt: Runtime) => Promise<T>,
): Promise<T> {
  if (!values.run) throw new UsageError('--run DIR is required (a directory written by medtrim train)');
  const gpu = await acquireGpu({ backend: values.backend as BackendChoice | undefined });
  try {
    const rt = new Runtime(gpu);
    const run = await openRun(rt, values.run, { dataPath: values.data });
    try {
      run.model.eval();
      return await fn(run, rt);
    } finally {
      await run.data.dataset.close?.();
    }
  } finally {
    gpu.release();
  }
}

const imageLimitNote = `An image over ${maxImagePixels / 1e6} megapixels (read from its PNG/JPEG header) or with no pixels is
refused before decoding.`;

const SEARCH_HELP = `usage: medtrim search --run DIR (--text REPORT | --image FILE) [--k N] [--data PATH]

--text: the test-split images nearest to a report; --image (PNG or JPEG): the test-split reports nearest to
an image. Prints one JSON line per hit: rank, sample id, cosine score, the sample's truth (the generator's for
built-in data, OBER's reading of the report for real data), and the report (for image queries).
${imageLimitNote}
--data PATH: where the run's real data is now, if it moved since training.`;

export const search: Command = {
  summary: 'top-k test images for a report, or top-k test reports for an image',
  async run(argv) {
    const { values } = parseArgs({ args: argv, options: OPTIONS });
    if (values.help) {
      console.log(SEARCH_HELP);
      return 0;
    }
    const queries = (values.text?.length ?? 0) + (values.image?.length ?? 0);
    if (queries !== 1) throw new UsageError('give exactly one --text or one --image');
    const k = values.k === undefined ? 5 : integerFlag('--k', values.k, 1);
    if (k > 256) throw new UsageError(`--k must be an integer from 1 to 256, got '${values.k}'`);
    return withRun(values, async (run, rt) => {
      const samples = run.data.dataset.split('test').map((i) => run.data.dataset.info(i));
      const corpus = await embedSamples(rt, run.model, run.data, samples);
      const byText = !!values.text;
      const query = byText
        ? await embedTexts(rt, run.model, run.data, values.text!)
        : await embedImageFiles(run, rt, values.image!);
      const keys = tensorFrom(rt, byText ? corpus.images : corpus.texts, [samples.length, corpus.dim]).keep();
      const q = tensorFrom(rt, query, [1, corpus.dim]).keep();
      const { values: scores, indices } = await retrieveTopk(q, keys, k);
      keys.dispose();
      q.dispose();
      indices.forEach((index, rank) => {
        if (index < 0) return;
        const s = samples[index]!;
        console.log(
          JSON.stringify({
            rank: rank + 1,
            id: s.id,
            score: Number(scores[rank]!.toFixed(6)),
            truth: run.data.dataset.truth(s.index),
            ...(byText ? {} : { report: s.report }),
          }),
        );
      });
      return 0;
    });
  },
};

const EMBED_HELP = `usage: medtrim embed --run DIR (--text TEXT ... | --image FILE ...) [--data PATH]

Prints one JSON array per input: its L2-normalised embedding in the run's shared image–text space.
${imageLimitNote}`;

export const embed: Command = {
  summary: "print the embeddings of texts or images under a run's model",
  async run(argv) {
    const { values } = parseArgs({ args: argv, options: OPTIONS });
    if (values.help) {
      console.log(EMBED_HELP);
      return 0;
    }
    if (values.k !== undefined) throw new UsageError('--k is a search option; embed prints every input');
    if (!values.text?.length === !values.image?.length)
      throw new UsageError('give --text or --image inputs (not both)');
    return withRun(values, async (run, rt) => {
      const rows = values.text
        ? await embedTexts(rt, run.model, run.data, values.text)
        : await embedImageFiles(run, rt, values.image!);
      const dim = run.model.vit.embedDim;
      for (let i = 0; i < rows.length / dim; i++)
        console.log(JSON.stringify(Array.from(rows.subarray(i * dim, (i + 1) * dim), (v) => Number(v.toFixed(7)))));
      return 0;
    });
  },
};
