// `medtrim train`: trains a dual encoder on the built-in synthetic data set or on real data (--data) and evaluates it.
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import cliProgress from 'cli-progress';
import { acquireGpu, type BackendChoice } from '../../gpu/device.js';
import { Runtime } from '../../gpu/runtime.js';
import { formatTables } from '../../report/index.js';
import {
  ConfigError,
  DEFAULT_CONFIG,
  OBJECTIVES,
  PIXEL_NORMS,
  resolveConfig,
  TRIPLET_MINING,
} from '../../train/config.js';
import { createRun, evaluateRun, openRun, train } from '../../train/run.js';
import type { Command } from '../command.js';
import { adapterWords, integerFlag, numberFlag, UsageError, zeroShotLine } from './shared.js';

const HELP = `usage: medtrim train [options]

Trains a ViT image encoder and a BERT text encoder on the built-in synthetic chest X-ray data set (or on
real data with --data) with the MedTrim objective (or a baseline), evaluates on the test split and writes
a report.

  --out DIR            run directory (default runs/<objective>-<preset>-seed<seed>)
  --resume             continue the run in --out from its last checkpoint
  --config FILE        JSON file of settings (any of those below, by their config names)
  --objective NAME     ${OBJECTIVES.join(' | ')} (default ${DEFAULT_CONFIG.objective})
  --preset NAME        tiny | small | base (default ${DEFAULT_CONFIG.preset})
  --steps N            training steps (default ${DEFAULT_CONFIG.steps})
  --batch-size N       samples per step (default ${DEFAULT_CONFIG.batchSize})
  --lr X               peak learning rate, warm-up then cosine decay (default ${DEFAULT_CONFIG.lr})
  --seed N             model, dropout and data-order seed (default ${DEFAULT_CONFIG.seed})
  --image-size PX      image side (default: the preset's, ${DEFAULT_CONFIG.imageSize} for tiny)
  --patch-size PX      ViT patch side (default: the preset's, ${DEFAULT_CONFIG.patchSize} for tiny)
  --dropout P          dropout of both encoders (or --image-dropout P, --text-dropout P; default: the preset's)
  --triplets MODE      ${TRIPLET_MINING.join(' | ')}: how MedTrim forms triplets (default ${DEFAULT_CONFIG.triplets}; paper = the
                       paper's one positive and one semi-hard negative per anchor)
  --pixel-norm MODE    ${PIXEL_NORMS.join(' | ')}: pixels to [-1, 1], or standardised by the training split's mean
                       image and pixel sd (default ${DEFAULT_CONFIG.pixelNorm})
  --image-pooling P    cls | mean: what the image projection head reads (default ${DEFAULT_CONFIG.imagePooling})
  --data-count N       synthetic samples over all splits (default ${DEFAULT_CONFIG.dataCount})
  --data PATH          real data: a CSV or JSONL manifest (image, report[, split, id, patient, study]),
                       a MIMIC-CXR-JPG root or an Open-i folder; split by patient when it has no split
  --report-sections S  report sections kept, comma-separated (default FINDINGS,IMPRESSION)
  --skip-bad-images    log and skip missing or corrupt images instead of stopping at the first
  --image-fit pad|crop non-square films: whole film padded, or centred square crop (default ${DEFAULT_CONFIG.imageFit})
  --augment            small random rotation, scale and shift, brightness and contrast on training images
  --data-workers N     image decoding threads (default ${DEFAULT_CONFIG.dataWorkers}; 0: main thread)
  --vocab FILE         a Hugging Face vocab.txt instead of a vocabulary learnt from the reports
  --init-image DIR     start the image encoder from a Hugging Face ViTModel folder (config.json, model.safetensors)
  --init-text DIR      start the text encoder from a BertModel folder (config.json, model.safetensors, vocab.txt)
  --freeze-image-layers N, --freeze-text-layers N   keep the embeddings and the first N blocks fixed
  --eval-limit N       evaluate on at most N test samples (default: the whole test split)
  --no-eval            train only
  --backend B          auto | native | swiftshader | gles (default: MEDTRIM_BACKEND or auto)
  --quiet              no progress bar

Writes DIR/config.json, vocab.txt, log.jsonl (with dataWaitShare: the share of step time spent waiting
for images), checkpoint.safetensors (every checkpointEvery steps and at the end, atomically),
entities.jsonl (OBER's entities of each report), eval.json, report.html, loss.png and precision.png;
with --data also splits.csv (the run's split) and image-cache/ (resized images). Training stops with an error
when the loss, the gradient norm or the parameters become NaN or infinite (checked every logEvery steps); the
last good checkpoint is kept. Exit codes: 0 done, 1 error, 2 bad usage.`;

const text = (_: string, value: string) => value;
const FLAG_TO_CONFIG: Record<string, [string, (flag: string, text: string) => unknown]> = {
  objective: ['objective', text],
  preset: ['preset', text],
  steps: ['steps', numberFlag],
  'batch-size': ['batchSize', numberFlag],
  lr: ['lr', numberFlag],
  seed: ['seed', numberFlag],
  'data-count': ['dataCount', numberFlag],
  'image-size': ['imageSize', numberFlag],
  'patch-size': ['patchSize', numberFlag],
  'image-dropout': ['imageDropout', numberFlag],
  'text-dropout': ['textDropout', numberFlag],
  triplets: ['triplets', text],
  'pixel-norm': ['pixelNorm', text],
  'image-pooling': ['imagePooling', text],
  data: ['data', text],
  'report-sections': ['reportSections', (_, v) => v.split(',').map((s) => s.trim().toUpperCase())],
  'image-fit': ['imageFit', text],
  'data-workers': ['dataWorkers', numberFlag],
  vocab: ['vocabFile', text],
  'init-image': ['initImage', text],
  'init-text': ['initText', text],
  'freeze-image-layers': ['freezeImageLayers', numberFlag],
  'freeze-text-layers': ['freezeTextLayers', numberFlag],
};

const BOOLEAN_FLAGS: Record<string, string> = { 'skip-bad-images': 'skipBadImages', augment: 'augment' };

/** Checks the settings before any GPU work; a bad value names its flag when a flag gave it. */
function checkSettings(
  overrides: Record<string, unknown>,
  fromFlags: Map<string, string>,
  configFile: string | undefined,
): void {
  try {
    resolveConfig(overrides, configFile ?? 'config');
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const flag = fromFlags.get(err.field);
    throw new UsageError(flag ? `--${flag} ${err.problem}` : err.message);
  }
}

function readConfigFile(path: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(
      `${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not valid JSON (${(err as Error).message})`}`,
    );
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new Error(`${path}: expected a JSON object of settings`);
  return parsed as Record<string, unknown>;
}

const trainCommand: Command = {
  summary: 'train MedTrim (or a baseline) on the built-in data set, evaluate, write a report',
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        out: { type: 'string' },
        resume: { type: 'boolean' },
        config: { type: 'string' },
        'eval-limit': { type: 'string' },
        'no-eval': { type: 'boolean' },
        backend: { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        dropout: { type: 'string' },
        ...Object.fromEntries(Object.keys(FLAG_TO_CONFIG).map((flag) => [flag, { type: 'string' as const }])),
        ...Object.fromEntries(Object.keys(BOOLEAN_FLAGS).map((flag) => [flag, { type: 'boolean' as const }])),
      },
    });
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    const overrides: Record<string, unknown> = values.config ? readConfigFile(values.config) : {};
    const fromFlags = new Map<string, string>();
    if (values.dropout !== undefined) {
      overrides.imageDropout = overrides.textDropout = numberFlag('--dropout', values.dropout);
      fromFlags.set('imageDropout', 'dropout').set('textDropout', 'dropout');
    }
    for (const [flag, [key, parse]] of Object.entries(FLAG_TO_CONFIG)) {
      const v = (values as Record<string, unknown>)[flag];
      if (typeof v !== 'string') continue;
      overrides[key] = parse(`--${flag}`, v);
      fromFlags.set(key, flag);
    }
    for (const [flag, key] of Object.entries(BOOLEAN_FLAGS)) {
      if ((values as Record<string, unknown>)[flag] === true) {
        overrides[key] = true;
        fromFlags.set(key, flag);
      }
    }
    const evalLimit =
      values['eval-limit'] === undefined ? undefined : integerFlag('--eval-limit', values['eval-limit'], 2);
    const seed = (overrides.seed as number | undefined) ?? DEFAULT_CONFIG.seed;
    const dir =
      values.out ??
      `runs/${overrides.objective ?? DEFAULT_CONFIG.objective}-${overrides.preset ?? DEFAULT_CONFIG.preset}-seed${seed}`;
    if (values.resume && Object.keys(overrides).length)
      throw new UsageError('--resume continues a run with its saved config; drop the other settings');
    if (!values.resume) checkSettings(overrides, fromFlags, values.config);

    const gpu = await acquireGpu({ backend: values.backend as BackendChoice | undefined });
    try {
      const rt = new Runtime(gpu);
      const run = values.resume ? await openRun(rt, dir) : await createRun(rt, dir, overrides);
      const c = run.config;
      console.error(
        `medtrim train: ${c.objective}, preset ${c.preset}, ${c.steps} steps of ${c.batchSize} on ${adapterWords(gpu.info)} → ${dir}${values.resume ? ` (resuming at step ${run.trainer.step})` : ''}`,
      );
      console.error(`medtrim train: data: ${run.data.dataset.description}`);
      const bar =
        values.quiet || !process.stderr.isTTY
          ? null
          : new cliProgress.SingleBar(
              {
                format: 'train |{bar}| {value}/{total} steps | loss {loss} | {speed} samples/s | ETA {eta_formatted}',
                stream: process.stderr,
              },
              cliProgress.Presets.shades_classic,
            );
      bar?.start(c.steps, run.trainer.step, { loss: '-', speed: '-' });
      await train(run, (log) => {
        if (bar) bar.update(log.step, { loss: log.loss.toFixed(4), speed: log.samplesPerSec.toFixed(1) });
        else if (!values.quiet)
          console.error(
            `step ${log.step}/${c.steps}  loss ${log.loss.toFixed(4)}  ${log.samplesPerSec.toFixed(1)} samples/s  ${(100 * log.dataWaitShare).toFixed(0)}% waiting for data`,
          );
      });
      bar?.stop();
      if (values['no-eval']) return 0;
      console.error(`medtrim train: evaluating on the test split${evalLimit ? ` (first ${evalLimit})` : ''}…`);
      const result = await evaluateRun(rt, run, adapterWords(gpu.info), evalLimit);
      console.log(`\n${c.objective} (${c.preset}, ${c.steps} steps), ${result.samples} test samples:\n`);
      console.log(formatTables(result.retrieval));
      console.log(zeroShotLine(result.zeroShot));
      console.log(`\nreport: ${dir}/report.html`);
      return 0;
    } finally {
      gpu.release();
    }
  },
};
export default trainCommand;
