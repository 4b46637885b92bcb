// The model the demo page searches with: either a training run the site serves under /run/ (config.json,
// vocab.txt, checkpoint.safetensors, loaded like `medtrim search` loads it, the SHA-256 checked with
// crypto.subtle), or one trained in the page. Both are built by src/train/run-setup.ts, as in Node.
import { createMemoryDataset, type MemorySample } from '../../data/memory-dataset.js';
import type { PairedDataset } from '../../data/paired.js';
import { prepareImage } from '../../data/pipeline/fit.js';
import type { Runtime } from '../../gpu/runtime.js';
import { recognize } from '../../ober/recognize.js';
import { parseVocabTxt } from '../../text/vocab.js';
import { loadModelFromBytes } from '../../train/checkpoint-model.js';
import { resolveConfig, type TrainConfig } from '../../train/config.js';
import { assembleRun, builtInDataset, RUN_FILES, runVocab } from '../../train/run-setup.js';
import { modelConfigs, Trainer, type DualEncoder, type StepLog, type TrainingData } from '../../train/trainer.js';
import type { ServedSample, SiteInfo } from '../node/demo-site.js';

export type ModelOrigin =
  | { kind: 'checkpoint'; url: string; step: number; bytes: number }
  | { kind: 'in-page'; steps: number; losses: number[] };

export interface DemoModel {
  config: TrainConfig;
  data: TrainingData;
  model: DualEncoder;
  origin: ModelOrigin;
}

/** The response body, or an error naming the URL and the HTTP status. */
async function fetchOk(url: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (err) {
    throw new Error(`${url}: cannot fetch (${(err as Error).message})`);
  }
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status} ${response.statusText}`);
  return response;
}

/** What the site serves (src/web/node/demo-site.ts); a site without site.json serves no run. */
export async function fetchSiteInfo(url = '/site/site.json'): Promise<SiteInfo> {
  const response = await fetch(url).catch(() => null);
  if (!response?.ok) return { run: null };
  return (await response.json()) as SiteInfo;
}

export async function subtleSha256(parts: readonly Uint8Array[]): Promise<string> {
  const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', joined));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function fetchJson(url: string): Promise<Record<string, unknown>> {
  const text = await (await fetchOk(url)).text();
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`${url}: not valid JSON (${(err as Error).message})`);
  }
}

/**
 * The test samples of a run trained on files, as the site lists them (testSplitUrl): each image fetched and
 * prepared as the run prepared its images (its imageFit, intensity normalisation, the encoder's size).
 */
async function servedTestSplit(config: TrainConfig, testSplitUrl: string): Promise<PairedDataset> {
  const listing = (await (await fetchOk(testSplitUrl)).json()) as ServedSample[];
  const size = modelConfigs(config, 1).vit.imageSize;
  const prepare = (bytes: Uint8Array) => prepareImage(bytes, size, config.imageFit);
  const samples: MemorySample[] = [];
  for (const s of listing) {
    const bytes = new Uint8Array(await (await fetchOk(s.image)).arrayBuffer());
    let image: Float32Array;
    try {
      image = prepare(bytes);
    } catch (err) {
      throw new Error(`${s.image}: ${(err as Error).message}`);
    }
    samples.push({
      id: s.id,
      split: 'test',
      report: s.report,
      patientId: s.patientId,
      studyId: s.studyId,
      source: s.image,
      image,
    });
  }
  return createMemoryDataset(samples, {
    description: `${listing.length} test images of ${config.data}`,
    size,
    entities: (_id, report) => recognize(report).entities,
    prepareImage: prepare,
  });
}

/**
 * Loads the run served under `prefix` (model parameters only; the optimizer state is not needed to search);
 * a run trained on files searches the test samples the site lists at `testSplitUrl`.
 */
export async function loadServedRun(rt: Runtime, prefix: string, testSplitUrl?: string | null): Promise<DemoModel> {
  const [configUrl, vocabUrl, checkpointUrl] = [RUN_FILES.config, RUN_FILES.vocab, RUN_FILES.checkpoint].map(
    (f) => prefix + f,
  ) as [string, string, string];
  const config = resolveConfig(await fetchJson(configUrl), configUrl);
  const vocab = parseVocabTxt(await (await fetchOk(vocabUrl)).text(), vocabUrl);
  const bytes = new Uint8Array(await (await fetchOk(checkpointUrl)).arrayBuffer());
  if (config.data !== null && !testSplitUrl)
    throw new Error(`${configUrl}: the run trained on ${config.data}, and the site lists none of its test images`);
  const dataset = config.data !== null ? await servedTestSplit(config, testSplitUrl!) : builtInDataset(config);
  const { data, model } = assembleRun(rt, config, vocab, { dataset });
  try {
    const saved = await loadModelFromBytes(bytes, checkpointUrl, { model }, subtleSha256);
    if (JSON.stringify(saved.config) !== JSON.stringify(config))
      throw new Error(`checkpoint ${checkpointUrl}: saved config differs from ${configUrl}`);
    model.eval();
    return {
      config,
      data,
      model,
      origin: { kind: 'checkpoint', url: checkpointUrl, step: saved.step, bytes: bytes.length },
    };
  } catch (err) {
    model.dispose();
    throw err;
  }
}

export interface InPageTraining {
  steps: number;
  batchSize: number;
  /** Samples in the generated data set (all splits). */
  dataCount: number;
  seed: number;
  /** Peak learning rate (after a 5-step warm-up, cosine decay to 0). */
  lr: number;
}

/**
 * A batch of 8 takes about 2 s a step on SwiftShader in headless Chromium on 2 cores (README, browser
 * section); the learning rate is 3× the long runs' default, since a demo run is only a few dozen steps.
 */
export const IN_PAGE_DEFAULTS: InPageTraining = { steps: 40, batchSize: 8, dataCount: 240, seed: 1, lr: 3e-3 };

/** Trains a tiny model from scratch in the page, calling onLog with every step's loss. */
export async function trainInPage(
  rt: Runtime,
  settings: InPageTraining,
  onLog: (log: StepLog) => void,
): Promise<DemoModel> {
  const config = resolveConfig(
    { preset: 'tiny', ...settings, warmupSteps: Math.min(5, settings.steps), logEvery: 1, checkpointEvery: 0 },
    'in-page training',
  );
  const { data, model } = assembleRun(rt, config, runVocab(config));
  const trainer = new Trainer(rt, config, model, data);
  const losses: number[] = [];
  try {
    await trainer.run({
      onLog: (log) => {
        losses.push(log.loss);
        onLog(log);
      },
    });
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    trainer.optimizer.dispose();
  }
  model.eval();
  return { config, data, model, origin: { kind: 'in-page', steps: config.steps, losses } };
}
