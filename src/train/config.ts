// Training configuration: defaults for the MedTrim main job, the baselines as objectives of the same
// trainer, and validation with one-line errors (a JSON config file or CLI flags both end up here).
import type { Gammas } from '../mining/score.js';
import type { BertConfig, PresetName, ViTConfig } from '../models/config.js';

/**
 * medtrim: four triplet terms, full MedTrim score (diseases + adjectives + directions).
 * disease-only: the same triplets mined with γ1 = γ2 = 0 (the score sees disease classes only).
 * cross-modal: MedTrim triplets, image→text and text→image terms only (η = 0).
 * infonce: symmetric InfoNCE (CLIP / ConVIRT) with a learnable temperature, no mining.
 */
export type Objective = 'medtrim' | 'disease-only' | 'cross-modal' | 'infonce';
export const OBJECTIVES: readonly Objective[] = ['medtrim', 'disease-only', 'cross-modal', 'infonce'];

export interface TrainConfig {
  preset: PresetName;
  objective: Objective;
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

export const DEFAULT_CONFIG: TrainConfig = {
  preset: 'tiny',
  objective: 'medtrim',
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

/** Merges overrides into the defaults and checks every field; throws one line naming the bad field. */
export function resolveConfig(overrides: Record<string, unknown>, where = 'config'): TrainConfig {
  const known = new Set(Object.keys(DEFAULT_CONFIG));
  for (const key of Object.keys(overrides)) if (!known.has(key)) throw new Error(`${where}: unknown setting '${key}'`);
  const c = { ...DEFAULT_CONFIG, ...overrides, gammas: { ...DEFAULT_CONFIG.gammas, ...(overrides.gammas as object | undefined) } } as TrainConfig;
  const fail = (field: string, what: string) => {
    throw new Error(`${where}: ${field} must be ${what}, got ${JSON.stringify((c as unknown as Record<string, unknown>)[field])}`);
  };
  if (!['tiny', 'small', 'base'].includes(c.preset)) fail('preset', 'tiny, small or base');
  if (!OBJECTIVES.includes(c.objective)) fail('objective', OBJECTIVES.join(', '));
  for (const f of ['steps', 'batchSize', 'dataCount', 'maxTokens', 'logEvery'] as const) if (!isPositiveInt(c[f])) fail(f, 'a positive integer');
  for (const f of ['warmupSteps', 'checkpointEvery', 'freezeImageLayers', 'freezeTextLayers', 'seed', 'dataSeed'] as const) {
    if (!Number.isInteger(c[f]) || c[f] < 0) fail(f, 'a non-negative integer');
  }
  for (const f of ['lr', 'margin'] as const) if (!(c[f] > 0)) fail(f, 'positive');
  for (const f of ['weightDecay', 'maxGradNorm'] as const) if (!(c[f] >= 0)) fail(f, 'non-negative');
  if (!(c.eta >= 0 && c.eta <= 1)) fail('eta', 'in [0, 1]');
  if (!(c.tauMin >= 0 && c.tauMin < c.tauMax)) fail('tauMin', `in [0, tauMax=${c.tauMax})`);
  if (c.batchSize < 2) fail('batchSize', 'at least 2 (mining needs a batch)');
  for (const f of ['data', 'vocabFile', 'initImage', 'initText'] as const) if (c[f] !== null && !(typeof c[f] === 'string' && c[f] !== '')) fail(f, 'a path or null');
  if (!(Array.isArray(c.reportSections) && c.reportSections.length > 0 && c.reportSections.every((s) => typeof s === 'string' && /^[A-Z][A-Z /]*$/.test(s)))) fail('reportSections', 'a non-empty list of upper-case section names');
  for (const f of ['skipBadImages', 'augment', 'imageCache', 'lowercase'] as const) if (typeof c[f] !== 'boolean') fail(f, 'true or false');
  if (!['pad', 'crop'].includes(c.imageFit)) fail('imageFit', 'pad or crop');
  if (!(Number.isInteger(c.dataWorkers) && c.dataWorkers >= 0 && c.dataWorkers <= 64)) fail('dataWorkers', 'an integer from 0 to 64');
  if (!(Number.isInteger(c.prefetchBatches) && c.prefetchBatches >= 0 && c.prefetchBatches <= 16)) fail('prefetchBatches', 'an integer from 0 to 16');
  for (const f of ['imageEncoder', 'textEncoder'] as const) if (c[f] !== null && (typeof c[f] !== 'object' || Array.isArray(c[f]))) fail(f, 'an object of encoder settings or null');
  return c;
}

/** Linear warm-up to the peak, then cosine decay to 0 at the last step. */
export function learningRate(c: Pick<TrainConfig, 'lr' | 'warmupSteps' | 'steps'>, step: number): number {
  if (step < c.warmupSteps) return (c.lr * (step + 1)) / c.warmupSteps;
  const span = Math.max(1, c.steps - c.warmupSteps);
  const progress = Math.min(1, (step - c.warmupSteps) / span);
  return 0.5 * c.lr * (1 + Math.cos(Math.PI * progress));
}
