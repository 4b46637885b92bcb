// The full MedTrim train step (ViT + BERT forward, in-batch scoring and mining on the GPU, the four-term
// triplet loss, backward, AdamW with clipping) on random pixels, token ids and entity sets — the host-side data
// preparation of a real run (rendering, tokenizing, OBER) is left out, as it is for the tfjs peer.
import { backward, l2normalize, noGrad } from '../../autograd/index.js';
import { mineTripletsGpu, scoreMatrixGpu, uploadEntities } from '../../mining/score-gpu.js';
import {
  BERT_PRESETS,
  VIT_PRESETS,
  type BertConfig,
  type PresetName,
  type TransformerShape,
  type ViTConfig,
} from '../../models/config.js';
import { AdamW } from '../../ops/optim.js';
import { medtrimTripletLoss } from '../../ops/triplet.js';
import { BertEncoder } from '../../models/bert.js';
import { ViTEncoder } from '../../models/vit.js';
import { tensorFrom } from '../../tensor/tensor.js';
import { randomFloats, randomInts } from '../random.js';
import type { BenchCase, PreparedCase, Suite, SuiteContext } from '../types.js';
import { randomEncoding } from './mining.js';

/** Forward FLOP of a transformer stack over `rows` = batch·seq tokens: QKV+O and MLP products plus QKᵀ and PV. */
function stackFlop(c: TransformerShape, batch: number, seq: number): number {
  const rows = batch * seq;
  return c.layers * (2 * rows * (4 * c.hidden * c.hidden + 2 * c.hidden * c.mlp) + 4 * batch * seq * seq * c.hidden);
}

/**
 * FLOP of one train step: 3× the forward's matrix products (backward ≈ 2× forward) for the patch embedding,
 * both stacks, BERT's pooler and both projection heads. Elementwise ops, norms, mining and AdamW are not counted.
 */
export function trainStepFlop(vit: ViTConfig, bert: BertConfig, batch: number): number {
  const patches = (vit.imageSize / vit.patchSize) ** 2;
  const image =
    2 * batch * patches * vit.channels * vit.patchSize ** 2 * vit.hidden +
    stackFlop(vit, batch, patches + 1) +
    2 * batch * vit.hidden * vit.embedDim;
  const text = stackFlop(bert, batch, bert.maxPositions) + 2 * batch * bert.hidden * (bert.hidden + bert.embedDim);
  return 3 * (image + text);
}

export function trainStepCase(ctx: SuiteContext, preset: PresetName, batch: number): BenchCase {
  const vit = VIT_PRESETS[preset];
  const bert = BERT_PRESETS[preset];
  return {
    name: `${preset} preset, batch ${batch} (image ${vit.imageSize}², text ${bert.maxPositions} tokens)`,
    unit: 'GFLOP/s',
    work: trainStepFlop(vit, bert, batch),
    async prepare() {
      const rt = ctx.rt;
      // The trainer's DualEncoder without InfoNCE's temperature (src/train/trainer.ts reads tokenizer files, so not imported here).
      const image = new ViTEncoder(rt, vit, 1);
      const text = new BertEncoder(rt, bert, 2);
      const parameters = [...image.parameters(), ...text.parameters()];
      for (const m of [image, text]) m.train();
      const optimizer = new AdamW(parameters, { lr: 1e-3, weightDecay: 0.01, maxGradNorm: 1 });
      const pixels = randomFloats(batch * vit.channels * vit.imageSize ** 2, 11);
      const images = tensorFrom(rt, pixels, [batch, vit.channels, vit.imageSize, vit.imageSize]).keep();
      const ids = randomInts(batch * bert.maxPositions, 12, bert.vocabSize);
      const inputIds = tensorFrom(rt, ids, [batch, bert.maxPositions], 'i32').keep();
      const attentionMask = tensorFrom(
        rt,
        new Int32Array(batch * bert.maxPositions).fill(1),
        [batch, bert.maxPositions],
        'i32',
      ).keep();
      const entities = randomEncoding(batch, 13);
      const prepared: PreparedCase = {
        ours() {
          const img = l2normalize(image.forward(images).embedding);
          const txt = l2normalize(text.forward({ inputIds, attentionMask }).embedding);
          const mined = noGrad(() => {
            const b = uploadEntities(rt, entities);
            return mineTripletsGpu(rt, scoreMatrixGpu(rt, b, b));
          });
          backward(medtrimTripletLoss(img, txt, mined.positives, mined.negatives));
          optimizer.step();
          optimizer.zeroGrad();
        },
        dispose() {
          optimizer.dispose();
          for (const t of [images, inputIds, attentionMask, ...parameters]) t.dispose();
        },
      };
      if (ctx.tf && ctx.peerTrainStep) {
        const peer = ctx.peerTrainStep(ctx.tf.tf, preset, batch);
        prepared.peer = { kind: 'tfjs', record: () => peer.step() };
        const disposeOurs = prepared.dispose;
        prepared.dispose = () => {
          disposeOurs();
          peer.dispose();
        };
      }
      return prepared;
    },
  };
}

export const trainStepSuite: Suite = {
  name: 'train-step',
  model:
    'One MedTrim train step of the ViT + BERT dual encoder (forward, GPU mining, triplet loss, backward, AdamW) against a tfjs model of the same layer sizes (src/bench/tfjs-train-step.ts: patch embedding, pre-LN ViT and post-LN BERT blocks with composed attention, the same four-term triplet loss on host-mined indices, tf.variableGrads + Adam). FLOP: 3× the forward matrix products (patch embedding, QKV/O, MLP, QKᵀ, PV, pooler, projections).',
  // Quick keeps the batch small: one SwiftShader step of the tiny preset at batch 8 takes ~10 s on a loaded machine.
  cases: (ctx) =>
    ctx.quick ? [trainStepCase(ctx, 'tiny', 4)] : [trainStepCase(ctx, 'tiny', 32), trainStepCase(ctx, 'small', 16)],
};
