// How a run's pieces follow from its config and vocabulary — the data set, tokenizer and dual encoder — with
// no file system, so that the browser page builds exactly what `medtrim train` / `medtrim search` build.
import { createSyntheticDataset } from '../data/synthetic/dataset.js';
import type { Runtime } from '../gpu/runtime.js';
import { BERT_PRESETS } from '../models/config.js';
import { BertTokenizer } from '../text/tokenizer.js';
import type { Vocab } from '../text/vocab.js';
import type { TrainConfig } from './config.js';
import { domainVocab, DualEncoder, modelConfigs, TrainingData } from './trainer.js';

export const RUN_FILES = {
  config: 'config.json',
  vocab: 'vocab.txt',
  log: 'log.jsonl',
  checkpoint: 'checkpoint.safetensors',
  eval: 'eval.json',
} as const;

/** The vocabulary a new run learns from its training reports (the preset's size is an upper bound). */
export function runVocab(config: TrainConfig): Vocab {
  const dataset = createSyntheticDataset({ seed: config.dataSeed, size: config.imageSize, count: config.dataCount });
  return domainVocab(dataset, BERT_PRESETS[config.preset].vocabSize);
}

/** The run's data (regenerated from dataSeed/dataCount) and its freshly initialised model. */
export function assembleRun(rt: Runtime, config: TrainConfig, vocab: Vocab): { data: TrainingData; model: DualEncoder } {
  const { vit, bert } = modelConfigs(config, vocab.tokens.length);
  const dataset = createSyntheticDataset({ seed: config.dataSeed, size: vit.imageSize, count: config.dataCount });
  const data = new TrainingData(dataset, new BertTokenizer(vocab), config.maxTokens, config.seed, config.pixelNorm);
  return { data, model: new DualEncoder(rt, vit, bert, config.seed) };
}
