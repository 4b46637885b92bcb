// Hugging Face model folders as `--init-image DIR` / `--init-text DIR` take them: config.json (the encoder's
// shapes, mapped by name onto ours), model.safetensors (loaded by hf-weights.ts), and for the text side
// vocab.txt and the casing (tokenizer_config.json's do_lower_case). Anything a folder gets wrong is one line
// naming the file.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BertConfig, ViTConfig } from './config.js';

type Json = Record<string, unknown>;

function readJson(path: string): Json {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(
      `${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing (a Hugging Face model folder needs config.json and model.safetensors)' : (err as Error).message}`,
    );
  }
  try {
    const json = JSON.parse(text) as unknown;
    if (!json || typeof json !== 'object' || Array.isArray(json)) throw new Error('not a JSON object');
    return json as Json;
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${(err as Error).message})`);
  }
}

function positiveInt(path: string, json: Json, key: string): number {
  const v = json[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0)
    throw new Error(`${path}: ${key} must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

function number(path: string, json: Json, key: string, fallback: number): number {
  const v = json[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new Error(`${path}: ${key} must be a number, got ${JSON.stringify(v)}`);
  return v;
}

function checkCommon(path: string, json: Json, modelType: string): void {
  if (json.model_type !== undefined && json.model_type !== modelType)
    throw new Error(`${path}: model_type is ${JSON.stringify(json.model_type)}, expected "${modelType}"`);
  const act = json.hidden_act ?? 'gelu';
  if (act !== 'gelu') throw new Error(`${path}: hidden_act ${JSON.stringify(act)} is not supported (only gelu)`);
}

/** The weights file of a folder (model.safetensors), or an error naming what is missing. */
export function hfWeightsPath(dir: string): string {
  const path = join(dir, 'model.safetensors');
  if (!existsSync(path))
    throw new Error(
      `${path}: missing (a Hugging Face model folder needs config.json and model.safetensors; convert pytorch_model.bin to safetensors first)`,
    );
  return path;
}

/** A ViTModel folder's shapes (the projection head's width stays the run's own). */
export function readHfViTConfig(dir: string): Partial<ViTConfig> {
  const path = join(dir, 'config.json');
  const json = readJson(path);
  checkCommon(path, json, 'vit');
  if (json.qkv_bias === false) throw new Error(`${path}: qkv_bias false is not supported (the attention has biases)`);
  return {
    imageSize: positiveInt(path, json, 'image_size'),
    patchSize: positiveInt(path, json, 'patch_size'),
    channels: json.num_channels === undefined ? 3 : positiveInt(path, json, 'num_channels'),
    hidden: positiveInt(path, json, 'hidden_size'),
    layers: positiveInt(path, json, 'num_hidden_layers'),
    heads: positiveInt(path, json, 'num_attention_heads'),
    mlp: positiveInt(path, json, 'intermediate_size'),
    layerNormEps: number(path, json, 'layer_norm_eps', 1e-12),
    dropout: number(path, json, 'hidden_dropout_prob', 0),
  };
}

/** A BertModel folder's shapes. */
export function readHfBertConfig(dir: string): Partial<BertConfig> {
  const path = join(dir, 'config.json');
  const json = readJson(path);
  checkCommon(path, json, 'bert');
  const positions = json.position_embedding_type ?? 'absolute';
  if (positions !== 'absolute')
    throw new Error(`${path}: position_embedding_type ${JSON.stringify(positions)} is not supported (only absolute)`);
  return {
    vocabSize: positiveInt(path, json, 'vocab_size'),
    maxPositions: positiveInt(path, json, 'max_position_embeddings'),
    typeVocabSize: json.type_vocab_size === undefined ? 2 : positiveInt(path, json, 'type_vocab_size'),
    hidden: positiveInt(path, json, 'hidden_size'),
    layers: positiveInt(path, json, 'num_hidden_layers'),
    heads: positiveInt(path, json, 'num_attention_heads'),
    mlp: positiveInt(path, json, 'intermediate_size'),
    layerNormEps: number(path, json, 'layer_norm_eps', 1e-12),
    dropout: number(path, json, 'hidden_dropout_prob', 0.1),
  };
}

/**
 * The text folder's tokenizer: its vocab.txt, and whether it lowercases — tokenizer_config.json's
 * do_lower_case, else config.json's, else what the vocabulary shows: an uncased vocabulary has no capital
 * letters outside its [SPECIAL] tokens (some cased models, Bio_ClinicalBERT among them, ship no
 * tokenizer_config.json, and lowercasing their text would turn capitalised words into other pieces).
 */
export function readHfTokenizerSettings(dir: string): { vocabPath: string; lowercase: boolean } {
  const vocabPath = join(dir, 'vocab.txt');
  if (!existsSync(vocabPath))
    throw new Error(`${vocabPath}: missing (the text encoder's folder needs its vocab.txt, or give --vocab FILE)`);
  let lowercase: unknown;
  for (const file of ['tokenizer_config.json', 'config.json']) {
    const path = join(dir, file);
    if (lowercase === undefined && existsSync(path)) lowercase = readJson(path).do_lower_case;
  }
  if (lowercase !== undefined && typeof lowercase !== 'boolean')
    throw new Error(`${dir}: do_lower_case must be true or false, got ${JSON.stringify(lowercase)}`);
  if (lowercase === undefined)
    lowercase = !readFileSync(vocabPath, 'utf8')
      .split('\n')
      .some((token) => /[A-Z]/.test(token) && !/^\[[A-Z]+\]$/.test(token.trim()));
  return { vocabPath, lowercase: lowercase as boolean };
}
