// Evaluation of a dual encoder on a split of its data set: embed every image and report on the GPU (pixels
// fetched a batch at a time, so a large split never sits in memory), retrieve with top-k on the GPU in the
// four directions, score Precision@R (coarse: same disease set; fine: also directions and severity),
// zero-shot classification from class prompts, per-class precision, and a few retrieval examples for the
// report. Relevance uses the data set's truth: the generator's for built-in data (never OBER's reading),
// OBER's reading of the report for real data, which has no other labels.
import { noGrad } from '../autograd/index.js';
import { classPrompts, promptScores, zeroShotMetrics, type ZeroShotResults } from '../eval/classification.js';
import {
  evaluateRetrieval,
  perClassPrecision,
  type ClassPrecision,
  type Ranking,
  type RetrievalDirection,
  type RetrievalResults,
} from '../eval/retrieval.js';
import type { SampleInfo, SplitName } from '../data/paired.js';
import { toUint8 } from '../data/synthetic/dataset.js';
import type { Runtime } from '../gpu/runtime.js';
import type { EntitySet } from '../ober/entities.js';
import { retrieveTopk } from '../ops/topk.js';
import type { ImageToTextExample, TextToImageExample } from '../report/types.js';
import { tensorFrom, tidy, type Tensor } from '../tensor/tensor.js';
import type { DualEncoder, TrainingData } from './trainer.js';

const TOP_K = 50;
const EMBED_BATCH = 64;

export interface Embeddings {
  /** Row-major [n, dim], L2-normalised. */
  images: Float32Array;
  texts: Float32Array;
  dim: number;
}

export interface EvalResult {
  split: SplitName;
  samples: number;
  retrieval: RetrievalResults;
  zeroShot: ZeroShotResults;
  perClass: { direction: RetrievalDirection; classes: ClassPrecision[] };
  examples: { textToImage: TextToImageExample[]; imageToText: ImageToTextExample[] };
}

async function readRows(t: Tensor): Promise<Float32Array> {
  return (await t.read()) as Float32Array;
}

/** Embeddings of the given texts (eval mode, no graph), in batches. */
export async function embedTexts(
  rt: Runtime,
  model: DualEncoder,
  data: TrainingData,
  texts: string[],
): Promise<Float32Array> {
  model.eval();
  const out = new Float32Array(texts.length * model.bert.embedDim);
  for (let start = 0; start < texts.length; start += EMBED_BATCH) {
    const part = texts.slice(start, start + EMBED_BATCH);
    const rows = tidy(() => noGrad(() => model.embedTexts(data.uploadTexts(rt, part)))).keep();
    out.set(await readRows(rows), start * model.bert.embedDim);
    rows.dispose();
  }
  return out;
}

/** Embeddings of every sample's image and report (the pixels read from the data set a batch at a time). */
export async function embedSamples(
  rt: Runtime,
  model: DualEncoder,
  data: TrainingData,
  samples: readonly SampleInfo[],
): Promise<Embeddings> {
  model.eval();
  const dim = model.vit.embedDim;
  const images = new Float32Array(samples.length * dim);
  for (let start = 0; start < samples.length; start += EMBED_BATCH) {
    const part = data.dataset.samples(samples.slice(start, start + EMBED_BATCH).map((s) => s.index));
    const rows = tidy(() => noGrad(() => model.embedImages(data.uploadImages(rt, part, model.vit.channels)))).keep();
    images.set(await readRows(rows), start * dim);
    rows.dispose();
  }
  const texts = await embedTexts(
    rt,
    model,
    data,
    samples.map((s) => s.report),
  );
  return { images, texts, dim };
}

/** Top-k rankings in the four directions (same-modality retrieval leaves the query out). */
export async function rankAll(
  rt: Runtime,
  e: Embeddings,
  k = TOP_K,
): Promise<Record<RetrievalDirection, Ranking & { scores: Float32Array }>> {
  const n = e.images.length / e.dim;
  const img = tensorFrom(rt, e.images, [n, e.dim]).keep();
  const txt = tensorFrom(rt, e.texts, [n, e.dim]).keep();
  // k may exceed the candidates: top-k pads with -1, and P@R divides by R regardless (src/eval/retrieval.ts).
  const kk = k;
  try {
    const rank = async (q: Tensor, keys: Tensor, excludeSelf: boolean) => {
      const { values, indices } = await retrieveTopk(q, keys, kk, { excludeSelf });
      return { k: kk, indices, scores: values };
    };
    return {
      'image→text': await rank(img, txt, false),
      'text→image': await rank(txt, img, false),
      'image→image': await rank(img, img, true),
      'text→text': await rank(txt, txt, true),
    };
  } finally {
    img.dispose();
    txt.dispose();
  }
}

/** The classes present in the truth of at least one sample, in ontology order of first appearance. */
function classesIn(truth: readonly EntitySet[]): string[] {
  const seen = new Set<string>();
  for (const t of truth) for (const c of Object.keys(t)) seen.add(c);
  return [...seen].sort();
}

async function zeroShot(
  rt: Runtime,
  model: DualEncoder,
  data: TrainingData,
  e: Embeddings,
  truth: EntitySet[],
): Promise<ZeroShotResults> {
  const classes = classesIn(truth);
  const prompts = classes.map(classPrompts);
  const positives = await embedTexts(
    rt,
    model,
    data,
    prompts.map((p) => p.positive),
  );
  const negatives = await embedTexts(
    rt,
    model,
    data,
    prompts.map((p) => p.negative),
  );
  return zeroShotMetrics(classes, promptScores(e.images, positives, negatives, e.dim), truth);
}

type Row = SampleInfo & { truth: EntitySet };

function examples(
  data: TrainingData,
  samples: Row[],
  rankings: Record<RetrievalDirection, Ranking & { scores: Float32Array }>,
  count = 6,
  shown = 5,
): EvalResult['examples'] {
  const sameDiseases = (a: EntitySet, b: EntitySet) =>
    Object.keys(a).sort().join('|') === Object.keys(b).sort().join('|');
  const gray = (s: Row) => {
    const { image, size } = data.dataset.sample(s.index);
    return { width: size, height: size, data: toUint8(image) };
  };
  // Spread the example queries over the split rather than taking the first few.
  const queries = Array.from({ length: Math.min(count, samples.length) }, (_, i) =>
    Math.floor((i * samples.length) / count),
  );
  const hits = (r: Ranking & { scores: Float32Array }, q: number) =>
    Array.from({ length: Math.min(shown, r.k) }, (_, j) => ({
      index: r.indices[q * r.k + j]!,
      score: r.scores[q * r.k + j]!,
    })).filter((h) => h.index >= 0);
  return {
    textToImage: queries.map((q) => ({
      query: { report: samples[q]!.report, truth: samples[q]!.truth },
      results: hits(rankings['text→image'], q).map((h) => ({
        image: gray(samples[h.index]!),
        truth: samples[h.index]!.truth,
        score: h.score,
        relevant: sameDiseases(samples[q]!.truth, samples[h.index]!.truth),
      })),
    })),
    imageToText: queries.map((q) => ({
      query: { image: gray(samples[q]!), truth: samples[q]!.truth },
      results: hits(rankings['image→text'], q).map((h) => ({
        report: samples[h.index]!.report,
        truth: samples[h.index]!.truth,
        score: h.score,
        relevant: sameDiseases(samples[q]!.truth, samples[h.index]!.truth),
      })),
    })),
  };
}

/** Evaluates on `split` (at most `limit` samples, the first of the split). */
export async function evaluate(
  rt: Runtime,
  model: DualEncoder,
  data: TrainingData,
  split: SplitName = 'test',
  limit = Infinity,
): Promise<EvalResult> {
  const samples = data.dataset
    .split(split)
    .slice(0, limit)
    .map((i) => ({ ...data.dataset.info(i), truth: data.dataset.truth(i) }));
  if (samples.length < 2)
    throw new Error(`the ${split} split has ${samples.length} samples; evaluation needs at least 2`);
  const e = await embedSamples(rt, model, data, samples);
  const rankings = await rankAll(rt, e);
  const truth = samples.map((s) => s.truth);
  return {
    split,
    samples: samples.length,
    retrieval: evaluateRetrieval(rankings, truth),
    zeroShot: await zeroShot(rt, model, data, e, truth),
    perClass: { direction: 'image→text', classes: perClassPrecision(rankings['image→text'], truth, false) },
    examples: examples(data, samples, rankings),
  };
}
