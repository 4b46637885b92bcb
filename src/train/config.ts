// Training configuration: defaults for the MedTrim main job, the baselines as objectives of the same
// trainer, and validation with one-line errors (a JSON config file or CLI flags both end up here).
import type { Gammas } from '../mining/score.js';
import { BERT_PRESETS, type BertConfig, type PresetName, type ViTConfig, VIT_PRESETS } from '../models/config.js';

/**
 * medtrim: four triplet terms, full MedTrim score (diseases + adjectives + directions).
 * disease-only: the same triplets mined with γ1 = γ2 = 0 (the score sees disease classes only).
 * cross-modal: MedTrim triplets, image→text and text→image terms only (η = 0).
 * infonce: symmetric InfoNCE (CLIP / ConVIRT) with a learnable temperature, no mining.
 */
export type Objective = 'medtrim' | 'disease-only' | 'cross-modal' | 'infonce';
export const OBJECTIVES: readonly Objective[] = ['medtrim', 'disease-only', 'cross-modal', 'infonce'];

/**
 * How the MedTrim objectives form triplets from the batch's score matrix S (row = anchor a):
 * paper: one triplet per anchor, as in the paper — the positive is the highest-scoring sample, the negative the
 *   lowest-scoring one in the semi-hard band τmin ≤ S < τmax (else the highest below τmin).
 * all: every (a, p, q) with S(a,p) > S(a,q) and S(a,q) < τmax, p ≠ a ≠ q — all the orderings the score
 *   admits, the hinge averaged over them.
 * semihard: those of `all` that are semi-hard in embedding space as in FaceNet (the negative farther from the
 *   anchor than the positive, but within the margin), chosen afresh at every step.
 */
/**
 * How pixels reach the ViT: range maps brightness [0, 1] to [-1, 1]; dataset subtracts the training split's
 * mean image and divides by its pixel standard deviation, so the anatomy every radiograph shares is removed
 * and what differs between them (findings among it) is what the patch embedding sees.
 */
export type PixelNorm = 'range' | 'dataset';
export const PIXEL_NORMS: readonly PixelNorm[] = ['range', 'dataset'];

export type TripletMining = 'paper' | 'all' | 'semihard';
export const TRIPLET_MINING: readonly TripletMining[] = ['paper', 'all', 'semihard'];

export interface TrainConfig {
  preset: PresetName;
  objective: Objective;
  /** Image side and patch side of the ViT (the data is rendered at imageSize); default: the preset's. */
  imageSize: number;
  patchSize: number;
  /** Dropout of each encoder (embeddings and every sub-layer's output); default: the preset's. */
  imageDropout: number;
  textDropout: number;
  /** What the image projection head reads: the CLS token or the mean of all tokens. */
  imagePooling: 'cls' | 'mean';
  triplets: TripletMining;
  pixelNorm: PixelNorm;
  steps: number;
  batchSize: number;
  lr: number;
  warmupSteps: number;
  weightDecay: number;
  maxGradNorm: number;
  /** Triplet margin α. */
  margin: number;
  /** Weight of the within-modal triplet terms (cross-modal terms get 1 − η). */
  eta: number;
  /** Semi-hard band of the negative's score. */
  tauMin: number;
  tauMax: number;
  gammas: Gammas;
  /** Seeds model initialisation, dropout and the data order. */
  seed: number;
  /** The synthetic data set: its seed and size (samples in all splits). */
  dataSeed: number;
  dataCount: number;
  /** Most tokens per report (a batch is padded to its longest report, up to this). */
  maxTokens: number;
  freezeImageLayers: number;
  freezeTextLayers: number;
  /** Write a checkpoint every this many steps (and at the end); 0: only at the end. */
  checkpointEvery: number;
  /** Read the loss back and log every this many steps. */
  logEvery: number;
  /**
   * Real data: a CSV or JSONL manifest, a MIMIC-CXR-JPG root or an Open-i folder (src/data/open-data.ts);
   * null trains on the built-in synthetic set of dataSeed/dataCount.
   */
  data: string | null;
  /** Report sections a MIMIC-CXR or Open-i report is reduced to, in order. */
  reportSections: string[];
  /** Log and skip unusable images (replaced by the next usable sample) instead of stopping at the first. */
  skipBadImages: boolean;
  /** How a non-square film becomes the square input: pad (whole film, black margins) or crop (centred square). */
  imageFit: 'pad' | 'crop';
  /** Training images get a small random rotation, scale and shift (a mild random resized crop) and brightness / contrast jitter. */
  augment: boolean;
  /** Decoding worker threads for real data (0: decode on the main thread). */
  dataWorkers: number;
  /** Batches of real images decoded ahead of the step that needs them. */
  prefetchBatches: number;
  /** Keep resized images in the run's image-cache/ so that later epochs do not decode again. */
  imageCache: boolean;
  /** A Hugging Face vocab.txt (or tokenizer.json) instead of a vocabulary learnt from the training reports. */
  vocabFile: string | null;
  /** Whether the tokenizer lowercases (an uncased vocabulary); a cased one keeps capitals. */
  lowercase: boolean;
  /** Hugging Face ViTModel / BertModel folders (config.json + model.safetensors) the encoders start from. */
  initImage: string | null;
  initText: string | null;
  /** Encoder shapes that replace the preset's (taken from an --init-image / --init-text folder's config.json). */
  imageEncoder: Partial<ViTConfig> | null;
  textEncoder: Partial<BertConfig> | null;
}

/** The settings that follow from the preset unless a config or flag sets them. */
export function presetSettings(
  preset: PresetName,
): Pick<TrainConfig, 'imageSize' | 'patchSize' | 'imageDropout' | 'textDropout' | 'imagePooling'> {
  const vit = VIT_PRESETS[preset] ?? VIT_PRESETS.tiny;
  const text = BERT_PRESETS[preset] ?? BERT_PRESETS.tiny;
  return {
    imageSize: vit.imageSize,
    patchSize: vit.patchSize,
    imageDropout: vit.dropout,
    textDropout: text.dropout,
    imagePooling: vit.pooling ?? 'cls',
  };
}

export const DEFAULT_CONFIG: TrainConfig = {
  preset: 'tiny',
  objective: 'medtrim',
  ...presetSettings('tiny'),
  triplets: 'paper',
  pixelNorm: 'range',
  steps: 250,
  batchSize: 32,
  lr: 1e-3,
  warmupSteps: 30,
  weightDecay: 0.01,
  maxGradNorm: 1,
  margin: 0.3,
  eta: 0.5,
  tauMin: 0.25,
  tauMax: 0.6,
  gammas: { disease: 0.85, adjective: 0.1, direction: 0.05 },
  seed: 1,
  dataSeed: 2024,
  dataCount: 4000,
  maxTokens: 64,
  freezeImageLayers: 0,
  freezeTextLayers: 0,
  checkpointEvery: 100,
  logEvery: 10,
  data: null,
  reportSections: ['FINDINGS', 'IMPRESSION'],
  skipBadImages: false,
  imageFit: 'pad',
  augment: false,
  dataWorkers: 2,
  prefetchBatches: 2,
  imageCache: true,
  vocabFile: null,
  lowercase: true,
  initImage: null,
  initText: null,
  imageEncoder: null,
  textEncoder: null,
};

/** The γ and η a given objective trains with (the baselines override the MedTrim defaults). */
export function effectiveLossSettings(c: TrainConfig): { gammas: Gammas; eta: number } {
  if (c.objective === 'disease-only') return { gammas: { disease: 1, adjective: 0, direction: 0 }, eta: c.eta };
  if (c.objective === 'cross-modal') return { gammas: c.gammas, eta: 0 };
  return { gammas: c.gammas, eta: c.eta };
}

function isPositiveInt(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v > 0;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A setting's value as a user would have typed it: JSON, except that non-finite numbers read as themselves, not null. */
function describeValue(v: unknown): string {
  return typeof v === 'number' && !Number.isFinite(v) ? String(v) : JSON.stringify(v);
}

/** A setting that failed validation; `field` lets the CLI name the flag the value came from. */
export class ConfigError extends Error {
  constructor(
    readonly field: string,
    readonly problem: string,
    where: string,
  ) {
    super(`${where}: ${field} ${problem}`);
  }
}

/** Merges overrides into the defaults and checks every field; throws one line naming the bad field. */
export function resolveConfig(overrides: Record<string, unknown>, where = 'config'): TrainConfig {
  const fail = (field: string, what: string, value: unknown): never => {
    throw new ConfigError(field, `must be ${what}, got ${describeValue(value)}`, where);
  };
  if (!isPlainObject(overrides)) fail('the settings', 'a JSON object', overrides);
  const known = new Set(Object.keys(DEFAULT_CONFIG));
  for (const key of Object.keys(overrides))
    if (!known.has(key)) throw new ConfigError(key, 'is not a known setting', where);
  const gammaOverrides = overrides.gammas ?? {};
  if (!isPlainObject(gammaOverrides))
    fail('gammas', 'an object of disease, adjective and direction weights', gammaOverrides);
  const gammaKeys = Object.keys(DEFAULT_CONFIG.gammas);
  for (const key of Object.keys(gammaOverrides))
    if (!gammaKeys.includes(key))
      throw new ConfigError(`gammas.${key}`, `is not a known weight (${gammaKeys.join(', ')})`, where);
  const preset = (overrides.preset ?? DEFAULT_CONFIG.preset) as PresetName;
  const c = {
    ...DEFAULT_CONFIG,
    ...presetSettings(preset),
    ...overrides,
    gammas: { ...DEFAULT_CONFIG.gammas, ...gammaOverrides },
  } as TrainConfig;
  const value = (field: string) => (c as unknown as Record<string, unknown>)[field];
  const check = (field: string, ok: boolean, what: string) => ok || fail(field, what, value(field));
  // Every numeric setting (whatever its range) must be a finite number: a NaN or an infinity would train to
  // garbage and serialise as null in config.json.
  for (const [field, fallback] of Object.entries(DEFAULT_CONFIG)) {
    if (typeof fallback === 'number')
      check(field, typeof value(field) === 'number' && Number.isFinite(value(field)), 'a finite number');
  }
  for (const key of gammaKeys) {
    const g = (c.gammas as unknown as Record<string, unknown>)[key];
    if (!(typeof g === 'number' && Number.isFinite(g) && g >= 0)) fail(`gammas.${key}`, 'a finite number ≥ 0', g);
  }
  if (gammaKeys.every((key) => (c.gammas as unknown as Record<string, number>)[key] === 0))
    fail('gammas', 'not all zero (the MedTrim score would rate every pair 0)', c.gammas);
  check('preset', ['tiny', 'small', 'base'].includes(c.preset), 'tiny, small or base');
  check('objective', OBJECTIVES.includes(c.objective), OBJECTIVES.join(', '));
  check('triplets', TRIPLET_MINING.includes(c.triplets), TRIPLET_MINING.join(', '));
  check('pixelNorm', PIXEL_NORMS.includes(c.pixelNorm), PIXEL_NORMS.join(', '));
  check('imagePooling', c.imagePooling === 'cls' || c.imagePooling === 'mean', 'cls or mean');
  for (const f of ['imageSize', 'patchSize', 'steps', 'batchSize', 'dataCount', 'maxTokens', 'logEvery'] as const)
    check(f, isPositiveInt(c[f]), 'a positive integer');
  for (const f of [
    'warmupSteps',
    'checkpointEvery',
    'freezeImageLayers',
    'freezeTextLayers',
    'seed',
    'dataSeed',
  ] as const) {
    check(f, Number.isInteger(c[f]) && c[f] >= 0, 'a non-negative integer');
  }
  for (const f of ['lr', 'margin'] as const) check(f, c[f] > 0, 'positive');
  for (const f of ['weightDecay', 'maxGradNorm'] as const) check(f, c[f] >= 0, 'non-negative');
  check('eta', c.eta >= 0 && c.eta <= 1, 'in [0, 1]');
  for (const f of ['imageDropout', 'textDropout'] as const) check(f, c[f] >= 0 && c[f] < 1, 'in [0, 1)');
  check('imageSize', c.imageSize % c.patchSize === 0, `a multiple of patchSize=${c.patchSize}`);
  check('imageSize', c.imageSize >= 32 && c.imageSize <= 224, "between 32 and 224 (the synthetic renderer's range)");
  check('tauMin', c.tauMin >= 0 && c.tauMin < c.tauMax, `in [0, tauMax=${c.tauMax})`);
  check('batchSize', c.batchSize >= 2, 'at least 2 (mining needs a batch)');
  for (const f of ['data', 'vocabFile', 'initImage', 'initText'] as const)
    check(f, c[f] === null || (typeof c[f] === 'string' && c[f] !== ''), 'a path or null');
  check(
    'reportSections',
    Array.isArray(c.reportSections) &&
      c.reportSections.length > 0 &&
      c.reportSections.every((s) => typeof s === 'string' && /^[A-Z][A-Z /]*$/.test(s)),
    'a non-empty list of upper-case section names',
  );
  for (const f of ['skipBadImages', 'augment', 'imageCache', 'lowercase'] as const)
    check(f, typeof c[f] === 'boolean', 'true or false');
  check('imageFit', ['pad', 'crop'].includes(c.imageFit), 'pad or crop');
  check(
    'dataWorkers',
    Number.isInteger(c.dataWorkers) && c.dataWorkers >= 0 && c.dataWorkers <= 64,
    'an integer from 0 to 64',
  );
  check(
    'prefetchBatches',
    Number.isInteger(c.prefetchBatches) && c.prefetchBatches >= 0 && c.prefetchBatches <= 16,
    'an integer from 0 to 16',
  );
  for (const f of ['imageEncoder', 'textEncoder'] as const)
    check(
      f,
      c[f] === null || (typeof c[f] === 'object' && !Array.isArray(c[f])),
      'an object of encoder settings or null',
    );
  return c;
}

/** Linear warm-up to the peak, then cosine decay to 0 at the last step. */
export function learningRate(c: Pick<TrainConfig, 'lr' | 'warmupSteps' | 'steps'>, step: number): number {
  if (step < c.warmupSteps) return (c.lr * (step + 1)) / c.warmupSteps;
  const span = Math.max(1, c.steps - c.warmupSteps);
  const progress = Math.min(1, (step - c.warmupSteps) / span);
  return 0.5 * c.lr * (1 + Math.cos(Math.PI * progress));
}
