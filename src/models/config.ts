// Encoder configurations and presets. `base` has the exact shapes of google/vit-base-patch16-224 and
// bert-base-uncased (Bio_ClinicalBERT: the same with vocabSize 28996); `tiny` trains on a ~1 GFLOP/s
// software adapter in minutes; `small` sits between. Field meanings follow Hugging Face's ViTConfig and
// BertConfig, so a config.json maps across by name.

export interface TransformerShape {
  hidden: number;
  layers: number;
  heads: number;
  /** Width of the MLP's inner layer (HF: intermediate_size). */
  mlp: number;
  /** HF: layer_norm_eps. */
  layerNormEps: number;
  /** Dropout on embeddings and on each sub-layer's output (HF: hidden_dropout_prob); 0 disables it. */
  dropout: number;
  /** Width of the shared image–text embedding the projection head maps to. */
  embedDim: number;
}

export interface ViTConfig extends TransformerShape {
  imageSize: number;
  patchSize: number;
  /** Input channels: 1 for grayscale X-rays, 3 for pretrained RGB checkpoints. */
  channels: number;
  /**
   * What the projection head reads: the CLS token (HF's ViT, the default) or the mean of all tokens, which
   * gives every patch a direct path to the embedding.
   */
  pooling?: 'cls' | 'mean';
}

export interface BertConfig extends TransformerShape {
  vocabSize: number;
  maxPositions: number;
  typeVocabSize: number;
}

export type PresetName = 'tiny' | 'small' | 'base';

export const VIT_PRESETS: Record<PresetName, ViTConfig> = {
  tiny: {
    imageSize: 32,
    patchSize: 8,
    channels: 1,
    hidden: 64,
    layers: 2,
    heads: 2,
    mlp: 256,
    layerNormEps: 1e-12,
    dropout: 0.1,
    embedDim: 64,
  },
  small: {
    imageSize: 64,
    patchSize: 8,
    channels: 1,
    hidden: 128,
    layers: 4,
    heads: 4,
    mlp: 512,
    layerNormEps: 1e-12,
    dropout: 0.1,
    embedDim: 128,
  },
  base: {
    imageSize: 224,
    patchSize: 16,
    channels: 3,
    hidden: 768,
    layers: 12,
    heads: 12,
    mlp: 3072,
    layerNormEps: 1e-12,
    dropout: 0.0,
    embedDim: 256,
  },
};

export const BERT_PRESETS: Record<PresetName, BertConfig> = {
  // vocabSize 2048 fits a WordPiece vocabulary learned from the report corpus (src/text/build-vocab.ts).
  tiny: {
    vocabSize: 2048,
    maxPositions: 48,
    typeVocabSize: 2,
    hidden: 64,
    layers: 2,
    heads: 2,
    mlp: 256,
    layerNormEps: 1e-12,
    dropout: 0.1,
    embedDim: 64,
  },
  small: {
    vocabSize: 8192,
    maxPositions: 128,
    typeVocabSize: 2,
    hidden: 128,
    layers: 4,
    heads: 4,
    mlp: 512,
    layerNormEps: 1e-12,
    dropout: 0.1,
    embedDim: 128,
  },
  base: {
    vocabSize: 30522,
    maxPositions: 512,
    typeVocabSize: 2,
    hidden: 768,
    layers: 12,
    heads: 12,
    mlp: 3072,
    layerNormEps: 1e-12,
    dropout: 0.1,
    embedDim: 256,
  },
};

function requirePositiveInt(where: string, name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0)
    throw new Error(`${where}: ${name} must be a positive integer, got ${JSON.stringify(value)}`);
}

function checkTransformer(where: string, c: TransformerShape): void {
  for (const key of ['hidden', 'layers', 'heads', 'mlp', 'embedDim'] as const) requirePositiveInt(where, key, c[key]);
  if (c.hidden % c.heads !== 0) throw new Error(`${where}: hidden ${c.hidden} is not divisible by heads ${c.heads}`);
  // The fused attention kernels read heads in 4-float quads.
  if ((c.hidden / c.heads) % 4 !== 0)
    throw new Error(`${where}: head size ${c.hidden / c.heads} must be a multiple of 4`);
  if (!(c.layerNormEps > 0)) throw new Error(`${where}: layerNormEps must be positive, got ${c.layerNormEps}`);
  if (!(c.dropout >= 0 && c.dropout < 1)) throw new Error(`${where}: dropout must be in [0, 1), got ${c.dropout}`);
}

export function checkViTConfig(c: ViTConfig, where = 'ViT config'): void {
  checkTransformer(where, c);
  for (const key of ['imageSize', 'patchSize', 'channels'] as const) requirePositiveInt(where, key, c[key]);
  if (c.pooling !== undefined && c.pooling !== 'cls' && c.pooling !== 'mean')
    throw new Error(`${where}: pooling must be cls or mean, got ${JSON.stringify(c.pooling)}`);
  if (c.imageSize % c.patchSize !== 0)
    throw new Error(`${where}: imageSize ${c.imageSize} is not divisible by patchSize ${c.patchSize}`);
}

export function checkBertConfig(c: BertConfig, where = 'BERT config'): void {
  checkTransformer(where, c);
  for (const key of ['vocabSize', 'maxPositions', 'typeVocabSize'] as const) requirePositiveInt(where, key, c[key]);
}
