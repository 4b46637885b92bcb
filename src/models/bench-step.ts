// Measures one training step (forward, backward, AdamW update) of the ViT and BERT encoders of a preset on
// random inputs, after a warm-up step that compiles the kernels. Run:
//   npx tsx src/models/bench-step.ts [--preset tiny|small|base] [--batch 32] [--steps 3]
// (MEDTRIM_BACKEND=gles|swiftshader|native picks the adapter.)
import { parseArgs } from 'node:util';
import { backward, mul, reshape, sum } from '../autograd/index.js';
import { Rng } from '../util/rng.js';
import { acquireGpu } from '../gpu/device.js';
import { Runtime } from '../gpu/runtime.js';
import { AdamW } from '../ops/optim.js';
import { tensorFrom, tidyAsync, type Tensor } from '../tensor/tensor.js';
import { BertEncoder } from './bert.js';
import { BERT_PRESETS, VIT_PRESETS, type PresetName } from './config.js';
import { ViTEncoder } from './vit.js';

const { values } = parseArgs({ options: { preset: { type: 'string', default: 'tiny' }, batch: { type: 'string', default: '32' }, steps: { type: 'string', default: '3' } } });
const preset = values.preset as PresetName;
if (!(preset in VIT_PRESETS)) throw new Error(`--preset must be one of ${Object.keys(VIT_PRESETS).join(', ')}, got ${preset}`);
const batch = Number(values.batch);
const steps = Number(values.steps);

const gpu = await acquireGpu();
const rt = new Runtime(gpu);
const rng = new Rng(1);
const vit = new ViTEncoder(rt, VIT_PRESETS[preset], 1);
const bert = new BertEncoder(rt, BERT_PRESETS[preset], 2);
const optimizer = new AdamW([...vit.parameters(), ...bert.parameters()]);
const v = VIT_PRESETS[preset];
const b = BERT_PRESETS[preset];
const random = (n: number, draw: () => number) => Array.from({ length: n }, draw);
const images = tensorFrom(rt, random(batch * v.channels * v.imageSize ** 2, () => rng.uniform(-1, 1)), [batch, v.channels, v.imageSize, v.imageSize]).keep();
const shape = [batch, b.maxPositions];
const ids = tensorFrom(rt, random(batch * b.maxPositions, () => rng.int(b.vocabSize)), shape, 'i32').keep();
const mask = tensorFrom(rt, random(batch * b.maxPositions, () => 1), shape, 'i32').keep();

/** A loss touching both encoders: sum of the two embeddings' elementwise product. */
const lossOf = (image: Tensor, text: Tensor) => sum(reshape(mul(image, text), [-1]), 0);

async function step(): Promise<number> {
  const start = performance.now();
  await tidyAsync(async () => {
    const loss = lossOf(vit.forward(images).embedding, bert.forward({ inputIds: ids, attentionMask: mask }).embedding);
    optimizer.zeroGrad();
    backward(loss);
    optimizer.step();
    await loss.read();
  });
  return performance.now() - start;
}

const count = (m: ViTEncoder | BertEncoder) => m.parameters().reduce((n, p) => n + p.size, 0);
console.log(`${gpu.info.description ?? 'adapter'}: preset ${preset}, ViT ${count(vit)} + BERT ${count(bert)} = ${count(vit) + count(bert)} parameters, batch ${batch}`);
console.log(`warm-up step (compiles kernels): ${(await step()).toFixed(0)} ms`);
const times = [];
for (let i = 0; i < steps; i++) times.push(await step());
console.log(`step (ViT + BERT forward, backward, AdamW): ${times.map((t) => t.toFixed(0)).join(', ')} ms`);
gpu.release();
