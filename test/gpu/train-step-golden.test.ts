// One whole training step of the dual encoder against PyTorch (scripts/golden/train_step.py, torch 1.13 in
// float64): ViT + BERT with dropout 0 on a fixed batch of 6, through Trainer.trainStep — embeddings, the
// objective (MedTrim with in-batch mining on the GPU, or InfoNCE with its learnable temperature), backward,
// clipping by global gradient norm and AdamW. The loss, every parameter's gradient, the gradient norm and each
// parameter's change in the step must match torch's.
//
// Error measures and tolerances (each about 10× the worst that llvmpipe and SwiftShader reach, in brackets):
//  - loss, gradient norm before clipping: relative error ≤ 1e-5 [7e-7].
//  - each parameter's gradient: max_i |ours_i − torch_i| / max_i |torch_i| ≤ 3e-5 [3.2e-6] (test/gpu/golden.test.ts's
//    measure). The attention key biases' gradients are zero in exact arithmetic (softmax ignores a shift shared
//    by a row of scores): torch has ~1e-17 there and we have float32 noise, which must stay below 1e-6 of the
//    step's largest gradient entry [6.7e-8].
//  - the step: max_i |Δours_i − Δtorch_i| / lr ≤ 5e-4 [5.7e-5], Δ = parameter after − before. An Adam step moves
//    each entry by at most about lr, so this is the error in units of the step itself; a wrong clip factor, bias
//    correction or weight decay moves entries by 1e-2·lr to lr. Float32 gradient noise δg reaches the step as
//    δg·eps / (|g| + eps)², at most δg / (4·eps): what sets this tolerance.
// The golden file's AdamW eps (1e-2) is of the order of the clipped gradients' entries; the trainer builds its
// AdamW with the default eps 1e-8, under which a first step is lr·sign(g) and hides clipping, so the test sets
// the trainer's optimizer's eps to the golden value before the step (every other setting comes from the config).
// scripts/golden/mutate_train_step.py breaks one rule at a time (each backward rule on the path, the gradient
// norm, AdamW's clipping, decay and bias corrections, the GPU miner, the trainer's objective) and checks that
// this test fails.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/gpu/runtime.js';
import { readSafetensors, type ReadTensor, type SafetensorsContent } from '../../src/io/safetensors.js';
import { encodeBatch } from '../../src/mining/encode.js';
import type { EntitySet } from '../../src/ober/entities.js';
import { mineTripletsGpu, scoreMatrixGpu, uploadEntities } from '../../src/mining/score-gpu.js';
import type { Gammas } from '../../src/mining/score.js';
import type { BertConfig, ViTConfig } from '../../src/models/config.js';
import { hfNames } from '../../src/models/hf-weights.js';
import { AdamW } from '../../src/ops/optim.js';
import { tensorFrom, tidyAsync, type Tensor } from '../../src/tensor/tensor.js';
import { resolveConfig, type Objective } from '../../src/train/config.js';
import { DualEncoder, Trainer, type TrainingData } from '../../src/train/trainer.js';
import { gpuRuntime } from '../helpers/gpu.js';

const SCALAR_TOLERANCE = 1e-5;
const GRADIENT_TOLERANCE = 3e-5;
const STEP_TOLERANCE = 5e-4;
/** Bound on a gradient that is zero in exact arithmetic, relative to the step's largest gradient entry. */
const ZERO_GRADIENT_BOUND = 1e-6;

interface Settings {
  lr: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
  margin: number;
  eta: number;
  tauMin: number;
  tauMax: number;
  gammas: Gammas;
}

interface GoldenBatch {
  file: SafetensorsContent;
  vit: ViTConfig;
  bert: BertConfig;
  settings: Settings;
  entities: EntitySet[];
  scores: number[][];
}

/** The batch file's tensors that are not parameters. */
const BATCH_INPUTS = ['pixel_values', 'input_ids', 'attention_mask', 'token_type_ids'];

const fixture = (name: string) =>
  fileURLToPath(new URL(`../fixtures/golden/train-step-golden-${name}.safetensors`, import.meta.url));

async function readBatch(): Promise<GoldenBatch> {
  const file = await readSafetensors(fixture('batch'));
  const m = file.metadata;
  return {
    file,
    vit: JSON.parse(m.vit!),
    bert: JSON.parse(m.bert!),
    settings: JSON.parse(m.settings!),
    entities: JSON.parse(m.entities!),
    scores: JSON.parse(m.scores!),
  };
}

function tensorOf(file: SafetensorsContent, name: string): ReadTensor {
  const t = file.tensors.get(name);
  if (!t) throw new Error(`golden file has no tensor '${name}'`);
  return t;
}

function upload(rt: Runtime, t: ReadTensor): Tensor {
  return tensorFrom(rt, t.data, t.shape, t.dtype === 'F32' ? 'f32' : 'i32');
}

/** Our parameter name → the golden files' name ('image.' / 'text.' + the Hugging Face name, or 'logitScale'). */
function goldenNames(model: DualEncoder): Map<string, string> {
  const names = new Map([['logitScale', 'logitScale']]);
  for (const [prefix, encoder] of [
    ['image', model.image],
    ['text', model.text],
  ] as const) {
    for (const [ours, hf] of hfNames(encoder)) names.set(`${prefix}.${ours}`, `${prefix}.${hf}`);
  }
  return names;
}

function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]!));
  return m;
}

function relativeError(actual: number, expected: number): number {
  return Math.abs(actual - expected) / Math.abs(expected);
}

/** max_i |actual_i − expected_i| / scale, and the element where it is reached. */
function worstError(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  scale: number,
): { error: number; index: number } {
  let worst = { error: 0, index: -1 };
  for (let i = 0; i < expected.length; i++) {
    const error = Math.abs(actual[i]! - expected[i]!) / scale;
    if (!(error <= worst.error)) worst = { error, index: i };
  }
  return worst;
}

/**
 * The batch as the trainer's data source: every step gets the golden batch (trainStep uploads it inside its
 * tidy scope, so each call makes fresh tensors). Only the two members trainStep uses are provided.
 */
function fixedBatch(g: GoldenBatch): TrainingData {
  const n = g.entities.length;
  const source = {
    batchIndices: () => Array.from({ length: n }, (_, i) => i),
    upload: (rt: Runtime) => ({
      images: upload(rt, tensorOf(g.file, 'pixel_values')),
      text: {
        inputIds: upload(rt, tensorOf(g.file, 'input_ids')),
        attentionMask: upload(rt, tensorOf(g.file, 'attention_mask')),
        tokenTypeIds: upload(rt, tensorOf(g.file, 'token_type_ids')),
      },
      entities: g.entities,
    }),
  };
  return source as unknown as TrainingData;
}

describe('one training step against PyTorch (golden files)', () => {
  it("the GPU miner finds the golden batch's triplets (the golden loss was computed with them)", async () => {
    const rt = await gpuRuntime();
    const g = await readBatch();
    const golden = await readSafetensors(fixture('medtrim'));
    await tidyAsync(async () => {
      const batch = uploadEntities(rt, encodeBatch(g.entities));
      const scores = scoreMatrixGpu(rt, batch, batch, g.settings.gammas);
      const ours = await scores.read();
      g.scores.flat().forEach((s, i) => expect(Math.abs(ours[i]! - s), `score ${i}`).toBeLessThanOrEqual(1e-6));
      const mined = mineTripletsGpu(rt, scores, { tauMin: g.settings.tauMin, tauMax: g.settings.tauMax });
      expect([...(await mined.positives.read())]).toEqual([...tensorOf(golden, 'positives').data]);
      expect([...(await mined.negatives.read())]).toEqual([...tensorOf(golden, 'negatives').data]);
    });
  });

  for (const objective of ['medtrim', 'infonce'] as const satisfies readonly Objective[]) {
    it(`${objective}: loss, every gradient, gradient norm and the clipped AdamW step match`, async () => {
      const rt = await gpuRuntime();
      const g = await readBatch();
      const golden = await readSafetensors(fixture(objective));
      const s = g.settings;
      const maxGradNorm = tensorOf(golden, 'max_grad_norm').data[0]!;
      const gradNorm = tensorOf(golden, 'grad_norm').data[0]!;
      expect(maxGradNorm, 'the golden step must clip').toBeLessThan(gradNorm);

      const model = new DualEncoder(rt, g.vit, g.bert, 1);
      const names = goldenNames(model);
      const params = new Map(model.namedParameters());
      expect([...names.values()].sort()).toEqual(
        [...g.file.tensors.keys()].filter((k) => !BATCH_INPUTS.includes(k)).sort(),
      );
      model.loadParameters(
        Object.fromEntries([...names].map(([ours, theirs]) => [ours, tensorOf(g.file, theirs).data])),
      );

      const config = resolveConfig({
        objective,
        steps: 1,
        warmupSteps: 0,
        batchSize: g.entities.length,
        lr: s.lr,
        weightDecay: s.weightDecay,
        maxGradNorm,
        margin: s.margin,
        eta: s.eta,
        tauMin: s.tauMin,
        tauMax: s.tauMax,
        gammas: s.gammas,
        triplets: 'paper',
      });
      const trainer = new Trainer(rt, config, model, fixedBatch(g));
      const optimizer = trainer.optimizer;
      expect([optimizer.beta1, optimizer.beta2]).toEqual([s.beta1, s.beta2]);
      Object.assign(optimizer, { eps: s.eps });
      // The trainer drops the gradients right after the step; keep them for this one step to compare them.
      Object.assign(optimizer, { zeroGrad: () => {} });

      const trained = [...golden.tensors.keys()]
        .filter((k) => k.startsWith('grad.'))
        .map((k) => k.slice('grad.'.length));
      const byGoldenName = new Map([...names].map(([ours, theirs]) => [theirs, ours]));
      const nameOf = new Map([...params].map(([ours, p]) => [p, names.get(ours)!]));
      expect(optimizer.params.map((p) => nameOf.get(p)).sort(), 'the trained parameters').toEqual([...trained].sort());

      const lossTensor = trainer.trainStep().loss;
      const loss = (await lossTensor.read())[0]!;
      lossTensor.dispose();
      const expectedLoss = tensorOf(golden, 'loss').data[0]!;
      expect(relativeError(loss, expectedLoss), `loss ${loss}, torch ${expectedLoss}`).toBeLessThanOrEqual(
        SCALAR_TOLERANCE,
      );

      const largest = Math.max(...trained.map((k) => maxAbs(tensorOf(golden, `grad.${k}`).data)));
      let worstGradient = 0;
      let worstStep = 0;
      for (const name of trained) {
        const p = params.get(byGoldenName.get(name)!)!;
        const expected = tensorOf(golden, `grad.${name}`).data;
        expect(p.grad, `${name}: no gradient`).not.toBeNull();
        const grad = await p.grad!.read();
        expect(grad.length, name).toBe(expected.length);
        if (maxAbs(expected) < 1e-12 * largest) {
          expect(maxAbs(grad), `d loss / d ${name} should be zero`).toBeLessThanOrEqual(ZERO_GRADIENT_BOUND * largest);
        } else {
          const { error, index } = worstError(grad, expected, maxAbs(expected));
          expect(
            error,
            `d loss / d ${name}: element ${index} is ${grad[index]}, torch has ${expected[index]}`,
          ).toBeLessThanOrEqual(GRADIENT_TOLERANCE);
          worstGradient = Math.max(worstGradient, error);
        }
      }
      const ourNorm = (await optimizer.gradNorm.read())[0]!;
      expect(relativeError(ourNorm, gradNorm), `gradient norm ${ourNorm}, torch ${gradNorm}`).toBeLessThanOrEqual(
        SCALAR_TOLERANCE,
      );
      for (const name of trained) {
        const p = params.get(byGoldenName.get(name)!)!;
        const before = tensorOf(g.file, name).data;
        const after = await p.read();
        const step = tensorOf(golden, `update.${name}`).data;
        const moved = Array.from(after, (v, i) => v - before[i]!);
        const { error, index } = worstError(moved, step, s.lr);
        expect(
          error,
          `step of ${name}: element ${index} moved by ${moved[index]}, torch by ${step[index]}`,
        ).toBeLessThanOrEqual(STEP_TOLERANCE);
        worstStep = Math.max(worstStep, error);
      }
      if (objective === 'medtrim') {
        // MedTrim does not use the temperature: no gradient, and the optimizer leaves it alone.
        expect(model.logitScale.grad).toBeNull();
        expect([...(await model.logitScale.read())]).toEqual([...tensorOf(g.file, 'logitScale').data]);
      }
      console.log(
        `train-step golden (${objective}): loss ${loss}, worst gradient error ${worstGradient.toExponential(2)}, worst step error ${worstStep.toExponential(2)} (of lr)`,
      );
      AdamW.prototype.zeroGrad.call(optimizer);
      optimizer.dispose();
      model.dispose();
    });
  }
});
