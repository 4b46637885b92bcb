// The model the demo page searches with: either a training run the site serves under /run/ (config.json,
// vocab.txt, checkpoint.safetensors, loaded like `medtrim search` loads it, the SHA-256 checked with
// crypto.subtle), or one trained in the page. Both are built by src/train/run-setup.ts, as in Node.
import type { Runtime } from '../../gpu/runtime.js';
import { parseVocabTxt } from '../../text/vocab.js';
import { loadModelFromBytes } from '../../train/checkpoint-model.js';
import { resolveConfig, type TrainConfig } from '../../train/config.js';
import { assembleRun, RUN_FILES, runVocab } from '../../train/run-setup.js';
import { Trainer, type DualEncoder, type StepLog, type TrainingData } from '../../train/trainer.js';
import type { SiteInfo } from '../node/demo-site.js';

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

/** Loads the run served under `prefix` (model parameters only; the optimizer state is not needed to search). */
export async function loadServedRun(rt: Runtime, prefix: string): Promise<DemoModel> {
  const [configUrl, vocabUrl, checkpointUrl] = [RUN_FILES.config, RUN_FILES.vocab, RUN_FILES.checkpoint].map((f) => prefix + f) as [string, string, string];
  const config = resolveConfig(await fetchJson(configUrl), configUrl);
  const vocab = parseVocabTxt(await (await fetchOk(vocabUrl)).text(), vocabUrl);
  const bytes = new Uint8Array(await (await fetchOk(checkpointUrl)).arrayBuffer());
  const { data, model } = assembleRun(rt, config, vocab);
  try {
    const saved = await loadModelFromBytes(bytes, checkpointUrl, { model }, subtleSha256);
    if (JSON.stringify(saved.config) !== JSON.stringify(config)) throw new Error(`checkpoint ${checkpointUrl}: saved config differs from ${configUrl}`);
    model.eval();
    return { config, data, model, origin: { kind: 'checkpoint', url: checkpointUrl, step: saved.step, bytes: bytes.length } };
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
export async function trainInPage(rt: Runtime, settings: InPageTraining, onLog: (log: StepLog) => void): Promise<DemoModel> {
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
