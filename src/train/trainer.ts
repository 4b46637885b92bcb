// MedTrim training: a ViT + BERT dual encoder, in-batch entity scoring and triplet mining on the GPU at
// every step, and the four-term triplet objective (or a baseline objective) — all recorded into the step's
// command encoder; the host only prepares the batch (pixels, token ids, entity bit sets) and reads the loss
// back every `logEvery` steps.
import { backward, l2normalize } from '../autograd/index.js';
import type { PairedDataset, SampleOptions } from '../data/paired.js';
import { Rng } from '../util/rng.js';
import type { Runtime } from '../gpu/runtime.js';
import type { EntitySet } from '../ober/entities.js';
import { BERT_PRESETS, VIT_PRESETS, type BertConfig, type ViTConfig } from '../models/config.js';
import { BertEncoder, uploadTextBatch, type TextBatch } from '../models/bert.js';
import { ViTEncoder } from '../models/vit.js';
import { Module, constantParameter } from '../nn/module.js';
import { recognize } from '../ober/recognize.js';
import { AdamW } from '../ops/optim.js';
import { buildVocab } from '../text/build-vocab.js';
import type { BertTokenizer } from '../text/tokenizer.js';
import type { Vocab } from '../text/vocab.js';
import { type Tensor, tensorFrom, tidy } from '../tensor/tensor.js';
import { learningRate, type PixelNorm, type TrainConfig } from './config.js';
import { checkDivergence } from './divergence.js';
import { trainingHealth, type TrainingHealth } from './health.js';
import { objectiveLoss } from './objective.js';

/** CLIP's initial temperature, 1/0.07, as a learnable log-scale. */
const INITIAL_LOGIT_SCALE = Math.log(1 / 0.07);

/** Image and text encoders sharing one embedding space (plus InfoNCE's learnable temperature). */
export class DualEncoder extends Module {
  readonly image: ViTEncoder;
  readonly text: BertEncoder;
  readonly logitScale: Tensor;

  constructor(
    rt: Runtime,
    readonly vit: ViTConfig,
    readonly bert: BertConfig,
    seed: number,
  ) {
    super();
    this.image = this.addModule('image', new ViTEncoder(rt, vit, seed));
    this.text = this.addModule('text', new BertEncoder(rt, bert, seed + 1));
    this.logitScale = this.addParameter('logitScale', constantParameter(rt, [1], INITIAL_LOGIT_SCALE));
  }

  /** L2-normalised image embeddings [batch, embedDim] of pixels [batch, channels, size, size]. */
  embedImages(images: Tensor): Tensor {
    return l2normalize(this.image.forward(images).embedding);
  }

  embedTexts(batch: TextBatch): Tensor {
    return l2normalize(this.text.forward(batch).embedding);
  }
}

/** Shifts [0, 1] pixels to [-1, 1], the range the patch embedding is initialised for. */
export function normalisePixels(images: Float32Array): Float32Array {
  return images.map((v) => 2 * v - 1);
}

/** Training samples the pixel statistics of `pixelNorm: 'dataset'` are taken from. */
const PIXEL_STATS_SAMPLES = 256;

/** Subtracts the mean image and divides by the pixel standard deviation (images back to back). */
export function standardisePixels(images: Float32Array, stats: { mean: Float32Array; std: number }): Float32Array {
  const area = stats.mean.length;
  return images.map((v, k) => (v - stats.mean[k % area]!) / stats.std);
}

/** A step's sample indices, with the epoch its first sample belongs to (which seeds augmentation). */
export type BatchIndices = number[] & { epoch?: number };

export interface TrainingDataOptions {
  /** The entity sets of a report (OBER's reading), e.g. from a run's cache; default: OBER, cached in memory. */
  entityOf?: (id: string, report: string) => EntitySet;
  /** Augment training images. */
  augment?: boolean;
  /** Batches announced to the data set ahead of use (a decoding pipeline starts on them). */
  prefetchBatches?: number;
  /** How pixels are scaled for the image encoder (TrainConfig.pixelNorm); default range. */
  pixelNorm?: PixelNorm;
}

/** The host side of the data: tokenizer, entity sets (OBER on each report), and a seeded batch order. */
export class TrainingData {
  readonly trainIndices: number[];
  private readonly entityCache = new Map<number, EntitySet>();
  private readonly orders = new Map<number, number[]>();
  private stats: { mean: Float32Array; std: number } | null = null;

  constructor(
    readonly dataset: PairedDataset,
    readonly tokenizer: BertTokenizer,
    readonly maxTokens: number,
    private readonly seed: number,
    private readonly options: TrainingDataOptions = {},
  ) {
    // A data set served only for search (the demo's test images) has no training split; only training needs one.
    this.trainIndices = dataset.split('train');
  }

  /** MedTrim mines on what OBER reads from the report, as it would on real data (not the generator's truth). */
  entities(index: number, report?: string): EntitySet {
    let e = this.entityCache.get(index);
    if (!e) {
      const text = report ?? this.dataset.info(index).report;
      e = this.options.entityOf ? this.options.entityOf(this.dataset.info(index).id, text) : recognize(text).entities;
      this.entityCache.set(index, e);
    }
    return e;
  }

  /**
   * Sample indices of a step's batch: a pure function of (seed, step), so a resumed run sees the same data.
   * The following steps' samples are announced to the data set (prefetchBatches), which changes no result.
   */
  batchIndices(step: number, batchSize: number): BatchIndices {
    const ahead = this.options.prefetchBatches ?? 0;
    if (ahead > 0 && this.dataset.prefetch) {
      for (let s = step + 1; s <= step + ahead; s++)
        this.dataset.prefetch(this.indicesAt(s, batchSize), this.sampleOptions(s, batchSize));
    }
    return Object.assign(this.indicesAt(step, batchSize), {
      epoch: Math.floor((step * batchSize) / this.trainIndices.length),
    });
  }

  private indicesAt(step: number, batchSize: number): number[] {
    const n = this.trainIndices.length;
    if (n === 0) throw new Error('the data set has no training samples');
    return Array.from({ length: batchSize }, (_, k) => {
      const position = step * batchSize + k;
      return this.epochOrder(Math.floor(position / n))[position % n]!;
    });
  }

  private sampleOptions(step: number, batchSize: number): SampleOptions {
    return this.options.augment ? { augmentEpoch: Math.floor((step * batchSize) / this.trainIndices.length) } : {};
  }

  private epochOrder(epoch: number): number[] {
    let order = this.orders.get(epoch);
    if (!order) {
      order = [...this.trainIndices];
      const rng = new Rng(this.seed, 0xda7a, epoch);
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(rng.next() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      this.orders.clear(); // one epoch at a time is all a step needs
      this.orders.set(epoch, order);
    }
    return order;
  }

  /**
   * The training split's mean image and pixel standard deviation, from its first PIXEL_STATS_SAMPLES samples
   * (deterministic, so evaluation, search and the demo recompute the same).
   */
  private pixelStats(): { mean: Float32Array; std: number } {
    if (!this.stats) {
      const indices = this.trainIndices.slice(0, PIXEL_STATS_SAMPLES);
      const area = this.dataset.size * this.dataset.size;
      const mean = new Float64Array(area);
      const images = indices.map((i) => this.dataset.sample(i).image);
      for (const image of images) for (let k = 0; k < area; k++) mean[k]! += image[k]! / images.length;
      let squares = 0;
      for (const image of images) for (let k = 0; k < area; k++) squares += (image[k]! - mean[k]!) ** 2;
      this.stats = { mean: Float32Array.from(mean), std: Math.sqrt(squares / (images.length * area)) || 1 };
    }
    return this.stats;
  }

  /** Pixels [n, channels, size, size] of the given samples, scaled as `pixelNorm` says, on the GPU. */
  uploadImages(rt: Runtime, samples: readonly { image: Float32Array }[], channels: number): Tensor {
    const size = this.dataset.size;
    const pixels = new Float32Array(samples.length * size * size);
    samples.forEach((s, k) => pixels.set(s.image, k * size * size));
    const normalised =
      this.options.pixelNorm === 'dataset' ? standardisePixels(pixels, this.pixelStats()) : normalisePixels(pixels);
    return tensorFrom(rt, channels === 1 ? normalised : repeatChannels(normalised, size, channels), [
      samples.length,
      channels,
      size,
      size,
    ]);
  }

  /** Token ids of the texts, padded to the longest (at most maxTokens), on the GPU. */
  uploadTexts(rt: Runtime, texts: string[]): TextBatch {
    return uploadTextBatch(rt, this.tokenizer.encodeBatch(texts, { maxLength: this.maxTokens, padding: 'longest' }));
  }

  /** Pixels, token ids and entity sets of the given samples (augmented for a training batch), on the GPU. */
  upload(
    rt: Runtime,
    indices: BatchIndices,
    channels: number,
  ): { images: Tensor; text: TextBatch; entities: EntitySet[] } {
    const samples = this.dataset.samples(
      indices,
      this.options.augment && indices.epoch !== undefined ? { augmentEpoch: indices.epoch } : {},
    );
    return {
      images: this.uploadImages(rt, samples, channels),
      text: this.uploadTexts(
        rt,
        samples.map((s) => s.report),
      ),
      entities: samples.map((s) => this.entities(s.index, s.report)),
    };
  }
}

function repeatChannels(gray: Float32Array, size: number, channels: number): Float32Array {
  const plane = size * size;
  const out = new Float32Array((gray.length / plane) * channels * plane);
  for (let b = 0; b < gray.length / plane; b++)
    for (let c = 0; c < channels; c++) out.set(gray.subarray(b * plane, (b + 1) * plane), (b * channels + c) * plane);
  return out;
}

/** A WordPiece vocabulary learnt from the training reports (deterministic for a given data set). */
export function domainVocab(dataset: PairedDataset, size: number, reports = 2000): Vocab {
  const indices = dataset.split('train').slice(0, reports);
  return buildVocab(
    indices.map((i) => dataset.info(i).report),
    { size },
  );
}

/**
 * Encoder shapes for a run: the preset's (or a pretrained folder's, config.imageEncoder / textEncoder), with
 * the run's vocabulary size.
 */
export function modelConfigs(config: TrainConfig, vocabSize: number): { vit: ViTConfig; bert: BertConfig } {
  const preset = BERT_PRESETS[config.preset];
  const bertBase = { ...preset, dropout: config.textDropout, ...config.textEncoder };
  const maxPositions = config.textEncoder?.maxPositions ?? Math.max(config.maxTokens, bertBase.maxPositions);
  // A pretrained encoder's own shapes (config.imageEncoder/textEncoder, from its config.json) win over the run's.
  const vit = {
    ...VIT_PRESETS[config.preset],
    imageSize: config.imageSize,
    patchSize: config.patchSize,
    dropout: config.imageDropout,
    pooling: config.imagePooling,
    ...config.imageEncoder,
  };
  return { vit, bert: { ...bertBase, vocabSize, maxPositions } };
}

export interface StepLog {
  step: number;
  loss: number;
  lr: number;
  samplesPerSec: number;
  /** Mining statistics and embedding spread of the logged step's batch. */
  health?: TrainingHealth;
}

/** Tensors of a step kept for the host: its loss, and at log steps what trainingHealth reads. */
interface StepResult {
  loss: Tensor;
  kept: { img: Tensor; txt: Tensor; scores?: Tensor; positives?: Tensor; negatives?: Tensor } | null;
}

/** Owns the model, optimizer and data order; `run` advances until `config.steps`. */
export class Trainer {
  readonly optimizer: AdamW;
  step = 0;

  constructor(
    readonly rt: Runtime,
    readonly config: TrainConfig,
    readonly model: DualEncoder,
    readonly data: TrainingData,
  ) {
    model.image.freeze(config.freezeImageLayers);
    model.text.freeze(config.freezeTextLayers);
    // Only InfoNCE learns the temperature; frozen layers and an unused temperature get no optimizer state.
    model.logitScale.requiresGrad = config.objective === 'infonce';
    const trainable = model.parameters().filter((p) => p.requiresGrad);
    this.optimizer = new AdamW(trainable, {
      lr: config.lr,
      weightDecay: config.weightDecay,
      maxGradNorm: config.maxGradNorm,
    });
  }

  /**
   * Records one training step; returns its loss (a kept scalar tensor the caller disposes) and, when
   * `withHealth`, the batch's embeddings and mining results, kept for `readHealth`.
   */
  trainStep(withHealth = false): StepResult {
    const c = this.config;
    this.model.train();
    const result = tidy((): StepResult => {
      const batch = this.data.upload(this.rt, this.data.batchIndices(this.step, c.batchSize), this.model.vit.channels);
      const img = this.model.embedImages(batch.images);
      const txt = this.model.embedTexts(batch.text);
      const out = objectiveLoss(c, img, txt, batch.entities, this.model.logitScale);
      backward(out.loss);
      const keep = <T extends Tensor | undefined>(t: T): T => (t ? (t.keep() as T) : t);
      const kept = withHealth
        ? {
            img: keep(img),
            txt: keep(txt),
            scores: keep(out.scores),
            positives: keep(out.positives),
            negatives: keep(out.negatives),
          }
        : null;
      return { loss: out.loss.keep(), kept };
    });
    this.optimizer.lr = learningRate(c, this.step);
    this.optimizer.step();
    this.optimizer.zeroGrad();
    this.rt.flush();
    this.step++;
    return result;
  }

  /** The health figures of a step's kept tensors (read back, then disposed). */
  async readHealth(kept: NonNullable<StepResult['kept']>): Promise<TrainingHealth> {
    const [n, dim] = kept.img.shape as [number, number];
    try {
      const read = async <T>(t: Tensor | undefined) => (t ? ((await t.read()) as T) : undefined);
      return trainingHealth(
        {
          n,
          dim,
          img: (await read<Float32Array>(kept.img))!,
          txt: (await read<Float32Array>(kept.txt))!,
          scores: await read<Float32Array>(kept.scores),
          positives: await read<Int32Array>(kept.positives),
          negatives: await read<Int32Array>(kept.negatives),
        },
        this.config,
      );
    } finally {
      for (const t of Object.values(kept)) t?.dispose();
    }
  }

  /**
   * Trains until config.steps (or `until`), calling onLog every logEvery steps with the loss read back, and
   * onCheckpoint every checkpointEvery steps.
   */
  async run(
    hooks: { onLog?: (log: StepLog) => void; onCheckpoint?: (step: number) => Promise<void>; until?: number } = {},
  ): Promise<void> {
    const c = this.config;
    const until = Math.min(hooks.until ?? c.steps, c.steps);
    let windowStart = performance.now();
    let windowSteps = 0;
    while (this.step < until) {
      const logNow = (this.step + 1) % c.logEvery === 0 || this.step + 1 === until;
      const { loss, kept } = this.trainStep(logNow);
      windowSteps++;
      if (logNow) {
        const value = (await loss.read())[0]!;
        await checkDivergence(this.optimizer, value, this.step);
        const health = kept ? await this.readHealth(kept) : undefined;
        const now = performance.now();
        hooks.onLog?.({
          step: this.step,
          loss: value,
          lr: learningRate(c, this.step - 1),
          samplesPerSec: (windowSteps * c.batchSize * 1000) / (now - windowStart),
          health,
        });
        windowStart = now;
        windowSteps = 0;
      }
      loss.dispose();
      if (
        hooks.onCheckpoint &&
        ((c.checkpointEvery > 0 && this.step % c.checkpointEvery === 0) || this.step === c.steps)
      )
        await hooks.onCheckpoint(this.step);
    }
  }
}
