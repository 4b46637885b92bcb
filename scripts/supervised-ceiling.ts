// What the main job's image encoder can learn of each finding at all, within the main job's budget: the same ViT
// (recipes/main.json: preset, image size, patches, dropout), the same data, batches, steps, learning-rate schedule
// and AdamW, trained with SUPERVISION — a linear head on its embedding and binary cross-entropy against each
// sample's findings — instead of aligning it with reports. Its test macro-AUC bounds what any alignment objective
// plus a zero-shot protocol can reach with this encoder at this budget (alignment learns the findings only through
// the reports, and zero-shot reads them through prompts).
//
//   npx tsx scripts/supervised-ceiling.ts [--backend gles] [--seeds 1,2,3] [--steps N] [--image-size PX --patch-size PX]
//     [--out FILE] → bench/results/supervised-ceiling.md (per class: mean AUC over the seeds, and each seed's)
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { backward } from '../src/autograd/backward.js';
import { rocAuc } from '../src/eval/classification.js';
import { acquireGpu, type BackendChoice } from '../src/gpu/device.js';
import { Linear } from '../src/nn/layers.js';
import { binaryOp, unaryOp } from '../src/ops/elementwise.js';
import { AdamW } from '../src/ops/optim.js';
import { reduceOp } from '../src/ops/reduce.js';
import { Runtime } from '../src/gpu/runtime.js';
import { noGrad } from '../src/tensor/tape.js';
import { type Tensor, tensorFrom, tidy } from '../src/tensor/tensor.js';
import { learningRate, resolveConfig, type TrainConfig } from '../src/train/config.js';
import { assembleRun, runVocab } from '../src/train/run-setup.js';
import { Rng } from '../src/util/rng.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'gles' },
    seeds: { type: 'string', default: '1' },
    steps: { type: 'string' },
    'image-size': { type: 'string' },
    'patch-size': { type: 'string' },
    out: { type: 'string', default: 'bench/results/supervised-ceiling.md' },
  },
});
const recipe = JSON.parse(readFileSync('recipes/main.json', 'utf8')) as Record<string, unknown>;
const overrides: Record<string, unknown> = { ...recipe };
if (values.steps) overrides.steps = Number(values.steps);
if (values['image-size']) overrides.imageSize = Number(values['image-size']);
if (values['patch-size']) overrides.patchSize = Number(values['patch-size']);
const seeds = values.seeds!.split(',').map(Number);
if (!seeds.every((s) => Number.isInteger(s) && s >= 0))
  throw new Error(`--seeds takes integers, got '${values.seeds}'`);

/** Mean binary cross-entropy of logits z against 0/1 targets y: relu(z) − z·y + log(1 + exp(−|z|)). */
function bceWithLogits(z: Tensor, y: Tensor): Tensor {
  const softplusNegAbs = unaryOp('log', unaryOp('addScalar', unaryOp('exp', unaryOp('neg', unaryOp('abs', z))), 1));
  const perElement = binaryOp('add', binaryOp('sub', unaryOp('relu', z), binaryOp('mul', z, y)), softplusNegAbs);
  return reduceOp('mean', reduceOp('mean', perElement, 1), 0);
}

interface SeedResult {
  classes: string[];
  positives: number[];
  aucs: number[];
  seconds: number;
}

/** Trains the supervised image encoder with one seed; test AUC per class. */
async function trainAndScore(rt: Runtime, config: TrainConfig): Promise<SeedResult> {
  const { data, model } = assembleRun(rt, config, runVocab(config));
  const ds = data.dataset;
  const testIndices = ds.split('test');
  const classes = [...new Set(testIndices.flatMap((i) => Object.keys(ds.truth(i))))].sort();
  const targets = (indices: readonly number[]) =>
    Float32Array.from(indices.flatMap((i) => classes.map((c) => (c in ds.truth(i) ? 1 : 0))));
  const head = new Linear(rt, model.vit.embedDim, classes.length, new Rng(config.seed + 7));
  const parameters = [...model.image.parameters(), ...head.parameters()];
  const optimizer = new AdamW(parameters, {
    lr: config.lr,
    weightDecay: config.weightDecay,
    maxGradNorm: config.maxGradNorm,
  });
  const logits = (images: Tensor) => head.forward(model.image.forward(images).embedding);
  const started = performance.now();
  try {
    for (let step = 0; step < config.steps; step++) {
      model.image.train();
      const loss = tidy(() => {
        const indices = data.batchIndices(step, config.batchSize);
        // The trainer's batch (augmented as it augments); the reports' token ids go unused.
        const { images } = data.upload(rt, indices, model.vit.channels);
        const y = tensorFrom(rt, targets(indices), [indices.length, classes.length]);
        const l = bceWithLogits(logits(images), y);
        backward(l);
        return l.keep();
      });
      optimizer.lr = learningRate(config, step);
      optimizer.step();
      optimizer.zeroGrad();
      rt.flush();
      if ((step + 1) % 400 === 0 || step + 1 === config.steps) {
        const value = (await loss.read())[0]!;
        if (!Number.isFinite(value)) throw new Error(`supervised-ceiling: loss ${value} at step ${step + 1}`);
        const seconds = ((performance.now() - started) / 1000).toFixed(0);
        console.log(`seed ${config.seed} step ${step + 1}: loss ${value.toFixed(4)} (${seconds} s)`);
      }
      loss.dispose();
    }
    const seconds = (performance.now() - started) / 1000;
    model.image.eval();
    const scores: number[][] = classes.map(() => []);
    for (let start = 0; start < testIndices.length; start += 64) {
      const part = testIndices.slice(start, start + 64);
      const z = tidy(() => noGrad(() => logits(data.uploadImages(rt, ds.samples(part), model.vit.channels)))).keep();
      const read = await z.read();
      z.dispose();
      part.forEach((_, r) => classes.forEach((_, k) => scores[k]!.push(read[r * classes.length + k]!)));
    }
    const truth = (c: string) => testIndices.map((i) => c in ds.truth(i));
    return {
      classes,
      positives: classes.map((c) => truth(c).filter(Boolean).length),
      aucs: classes.map((c, k) => rocAuc(scores[k]!, truth(c))),
      seconds,
    };
  } finally {
    optimizer.dispose();
    for (const p of [...model.parameters(), ...head.parameters()]) p.dispose();
  }
}

const gpu = await acquireGpu({ backend: values.backend as BackendChoice });
try {
  const rt = new Runtime(gpu);
  const configs = seeds.map((seed) => resolveConfig({ ...overrides, seed }, 'recipes/main.json'));
  const results: SeedResult[] = [];
  for (const config of configs) results.push(await trainAndScore(rt, config));
  const config = configs[0]!;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = (xs: number[]) => Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / Math.max(1, xs.length - 1));
  const macros = results.map((r) => mean(r.aucs));
  const { classes, positives } = results[0]!;
  const command = `npx tsx scripts/supervised-ceiling.ts ${process.argv.slice(2).join(' ')}`.trim();
  const md = [
    `# Supervised ceiling of the main job's image encoder (${config.imageSize} px, ${config.patchSize} px patches, ${config.steps} steps)`,
    '',
    `\`${command}\` — recipes/main.json's image encoder (preset ${config.preset}, ${config.imageSize} px images in ` +
      `${config.patchSize} px patches), data, batch ${config.batchSize}, schedule and AdamW, trained with a linear ` +
      "head and binary cross-entropy on each sample's findings instead of with reports; test AUC per class on the " +
      `built-in test split, seeds ${seeds.join(', ')} (training ${results.map((r) => r.seconds.toFixed(0)).join(', ')} s ` +
      `on ${gpu.info.backend}).`,
    '',
    `| class | positives | mean AUC | ${seeds.map((s) => `seed ${s}`).join(' | ')} |`,
    `| --- | --- | --- | ${seeds.map(() => '---').join(' | ')} |`,
    ...classes.map(
      (c, k) =>
        `| ${c} | ${positives[k]} | ${mean(results.map((r) => r.aucs[k]!)).toFixed(3)} | ${results.map((r) => r.aucs[k]!.toFixed(3)).join(' | ')} |`,
    ),
    `| **macro-AUC** | | **${mean(macros).toFixed(3)}${macros.length > 1 ? ` ± ${sd(macros).toFixed(3)}` : ''}** | ${macros.map((m) => m.toFixed(3)).join(' | ')} |`,
  ].join('\n');
  console.log(md);
  writeFileSync(values.out!, `${md}\n`);
} finally {
  gpu.release();
}
