// How a run's pieces follow from its config, vocabulary and data set — the tokenizer and dual encoder, and
// the built-in data set when the run has no other — with no file system, so that the browser page builds
// exactly what `medtrim train` / `medtrim search` build. Real data sets are opened by the caller (Node:
// src/train/run-data.ts) and passed in.
import type { PairedDataset } from '../data/paired.js';
import { createSyntheticDataset } from '../data/synthetic/dataset.js';
import type { Runtime } from '../gpu/runtime.js';
import type { EntitySet } from '../ober/entities.js';
import { BERT_PRESETS } from '../models/config.js';
import { BertTokenizer } from '../text/tokenizer.js';
import type { Vocab } from '../text/vocab.js';
import type { TrainConfig } from './config.js';
import { domainVocab, DualEncoder, modelConfigs, TrainingData } from './trainer.js';

/** The data a run reads, and where its entity sets come from (default: OBER, cached in memory). */
export interface RunInputs {
  dataset: PairedDataset;
  entityOf?: (id: string, report: string) => EntitySet;
}

/** The built-in data set of a run whose config names no other (config.data null). */
export function builtInDataset(config: TrainConfig): PairedDataset {
  if (config.data !== null) throw new Error(`the run reads ${config.data}, which only Node can open`);
  return createSyntheticDataset({
    seed: config.dataSeed,
    size: modelConfigs(config, 1).vit.imageSize,
    count: config.dataCount,
  });
}

export const RUN_FILES = {
  config: 'config.json',
  vocab: 'vocab.txt',
  log: 'log.jsonl',
  checkpoint: 'checkpoint.safetensors',
  eval: 'eval.json',
} as const;

/** The vocabulary a new run learns from its training reports (the preset's size is an upper bound). */
export function runVocab(config: TrainConfig, dataset: PairedDataset = builtInDataset(config)): Vocab {
  return domainVocab(dataset, BERT_PRESETS[config.preset].vocabSize);
}

/** The run's data (by default the built-in set, regenerated from dataSeed/dataCount) and its freshly initialised model. */
export function assembleRun(
  rt: Runtime,
  config: TrainConfig,
  vocab: Vocab,
  inputs: RunInputs = { dataset: builtInDataset(config) },
): { data: TrainingData; model: DualEncoder } {
  const { vit, bert } = modelConfigs(config, vocab.tokens.length);
  if (inputs.dataset.size !== vit.imageSize)
    throw new Error(
      `the data set's images are ${inputs.dataset.size} px but the image encoder takes ${vit.imageSize} px`,
    );
  const tokenizer = new BertTokenizer(vocab, { lowercase: config.lowercase });
  const data = new TrainingData(inputs.dataset, tokenizer, config.maxTokens, config.seed, {
    entityOf: inputs.entityOf,
    augment: config.augment,
    prefetchBatches: config.prefetchBatches,
    pixelNorm: config.pixelNorm,
  });
  return { data, model: new DualEncoder(rt, vit, bert, config.seed) };
}
