// ViT and BERT encoders against PyTorch: scripts/golden/models.py wrote HF-named random weights, inputs,
// outputs and every parameter's gradient of a scalar loss (float64 torch, following HF's ViTModel and
// BertModel math). Our loader reads the weights; our forward outputs and all parameter gradients must match.
//
// Error measure, per tensor: max_i |ours_i − torch_i| / (|torch_i| + 0.01·max_j |torch_j|) ≤ 1e-4 — a
// relative error per element, with a floor of 1% of the tensor's largest magnitude so that entries which
// are zero up to float32 cancellation (sums of many signed terms) are not held to an impossible standard.
// One exception: the key biases' gradients are exactly zero in exact arithmetic (softmax ignores a constant
// added to a row of scores), so torch gives ~1e-17 and float32 gives rounding noise; a tensor whose torch
// gradient is that small (< 1e-12 of the largest gradient anywhere, G) must instead have |ours_i| ≤ 1e-5·G.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { add, backward, mul, reshape, sum } from '../../src/autograd/index.js';
import { readSafetensors, type SafetensorsContent } from '../../src/io/safetensors.js';
import { BertEncoder } from '../../src/models/bert.js';
import type { BertConfig, ViTConfig } from '../../src/models/config.js';
import { hfNames, loadHfBert, loadHfViT } from '../../src/models/hf-weights.js';
import { ViTEncoder } from '../../src/models/vit.js';
import type { Runtime } from '../../src/gpu/runtime.js';
import { tensorFrom, tidyAsync, type Tensor } from '../../src/tensor/tensor.js';
import { gpuRuntime } from '../helpers/gpu.js';

const TOLERANCE = 1e-4;
const golden = (name: string) => fileURLToPath(new URL(`../fixtures/golden/${name}.safetensors`, import.meta.url));

interface Golden {
  weights: string;
  io: SafetensorsContent;
  grads: SafetensorsContent;
}

async function readGolden(stem: string): Promise<Golden> {
  return {
    weights: golden(`${stem}-weights`),
    io: await readSafetensors(golden(`${stem}-io`)),
    grads: await readSafetensors(golden(`${stem}-grads`)),
  };
}

function input(rt: Runtime, g: Golden, name: string): Tensor {
  const t = g.io.tensors.get(name)!;
  return tensorFrom(rt, t.data, t.shape, t.dtype === 'F32' ? 'f32' : 'i32');
}

/** The worst element's error under the measure in the header comment. */
function worstError(actual: ArrayLike<number>, expected: ArrayLike<number>): { error: number; index: number } {
  const scale = maxAbs(expected);
  let worst = { error: 0, index: -1 };
  for (let i = 0; i < expected.length; i++) {
    const error = Math.abs(actual[i]! - expected[i]!) / (Math.abs(expected[i]!) + 0.01 * scale);
    if (!(error <= worst.error)) worst = { error, index: i };
  }
  return worst;
}

async function expectMatches(
  what: string,
  t: Tensor | null,
  expected: { shape: number[]; data: ArrayLike<number> },
): Promise<number> {
  expect(t, `${what}: no tensor`).not.toBeNull();
  expect([...t!.shape], what).toEqual(expected.shape);
  const actual = await t!.read();
  const { error, index } = worstError(actual, expected.data);
  expect(error, `${what}: element ${index} is ${actual[index]}, torch has ${expected.data[index]}`).toBeLessThanOrEqual(
    TOLERANCE,
  );
  return error;
}

/** sum(embedding ∘ r_embedding) + sum(hidden ∘ r_hidden), the golden loss. */
function goldenLoss(rt: Runtime, g: Golden, out: { embedding: Tensor; hidden: Tensor }): Tensor {
  const total = (x: Tensor, r: Tensor) => sum(reshape(mul(x, r), [-1]), 0);
  return add(total(out.embedding, input(rt, g, 'r_embedding')), total(out.hidden, input(rt, g, 'r_hidden')));
}

function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]!));
  return m;
}

/** Every parameter's gradient against torch's (grads file keyed by HF names). Returns the worst error. */
async function expectGradients(model: ViTEncoder | BertEncoder, g: Golden): Promise<number> {
  const names = hfNames(model);
  expect(g.grads.tensors.size).toBe(model.parameters().length);
  const largest = Math.max(...[...g.grads.tensors.values()].map((t) => maxAbs(t.data)));
  let worst = 0;
  for (const [ours, p] of model.namedParameters()) {
    const hf = names.get(ours)!;
    const expected = g.grads.tensors.get(hf);
    expect(expected, `no torch gradient for ${hf}`).toBeDefined();
    if (maxAbs(expected!.data) < 1e-12 * largest) {
      expect(maxAbs(await p.grad!.read()), `d loss / d ${ours} should be zero`).toBeLessThanOrEqual(1e-5 * largest);
      continue;
    }
    // Our parameter shapes differ from HF's only by layout-preserving reshapes (conv kernel, leading 1s).
    const error = await expectMatches(`d loss / d ${ours} (${hf})`, p.grad, {
      shape: [...p.shape],
      data: expected!.data,
    });
    worst = Math.max(worst, error);
  }
  return worst;
}

describe('ViT vs PyTorch ViTModel (golden files)', () => {
  it('loads HF weights; hidden states, embedding, loss and all parameter gradients match', async () => {
    const rt = await gpuRuntime();
    const g = await readGolden('vit-golden');
    const config = JSON.parse(g.io.metadata.config!) as ViTConfig;
    const model = new ViTEncoder(rt, config, 1);
    const report = await loadHfViT(model, g.weights);
    expect(report.kept).toEqual([]);
    expect(report.ignored.sort()).toEqual(['pooler.dense.bias', 'pooler.dense.weight']);
    expect(report.loaded.length).toBe(model.parameters().length);
    await tidyAsync(async () => {
      const out = model.forward(input(rt, g, 'pixel_values'));
      const loss = goldenLoss(rt, g, out);
      await expectMatches('hidden', out.hidden, g.io.tensors.get('hidden')!);
      await expectMatches('embedding', out.embedding, g.io.tensors.get('embedding')!);
      await expectMatches('loss', loss.reshape([1]), g.io.tensors.get('loss')!);
      backward(loss);
      const worst = await expectGradients(model, g);
      console.log(`ViT golden: worst gradient error ${worst.toExponential(2)}`);
    });
    model.dispose();
  });
});

describe('BERT vs PyTorch BertModel (golden files)', () => {
  it('loads HF weights (bert. prefix, gamma/beta); hidden, pooled, embedding, loss and all gradients match', async () => {
    const rt = await gpuRuntime();
    const g = await readGolden('bert-golden');
    const config = JSON.parse(g.io.metadata.config!) as BertConfig;
    const model = new BertEncoder(rt, config, 1);
    const report = await loadHfBert(model, g.weights);
    expect(report).toEqual({ loaded: [...model.namedParameters()].map(([n]) => n), kept: [], ignored: [] });
    await tidyAsync(async () => {
      const out = model.forward({
        inputIds: input(rt, g, 'input_ids'),
        attentionMask: input(rt, g, 'attention_mask'),
        tokenTypeIds: input(rt, g, 'token_type_ids'),
      });
      const loss = goldenLoss(rt, g, out);
      await expectMatches('hidden', out.hidden, g.io.tensors.get('hidden')!);
      await expectMatches('pooled', out.pooled, g.io.tensors.get('pooled')!);
      await expectMatches('embedding', out.embedding, g.io.tensors.get('embedding')!);
      await expectMatches('loss', loss.reshape([1]), g.io.tensors.get('loss')!);
      backward(loss);
      const worst = await expectGradients(model, g);
      console.log(`BERT golden: worst gradient error ${worst.toExponential(2)}`);
    });
    model.dispose();
  });
});

describe('freezing', () => {
  it('frozen embeddings and first block get no gradient; the rest do', async () => {
    const rt = await gpuRuntime();
    const g = await readGolden('vit-golden');
    const model = new ViTEncoder(rt, JSON.parse(g.io.metadata.config!) as ViTConfig, 1);
    model.freeze(1);
    await tidyAsync(async () => backward(goldenLoss(rt, g, model.forward(input(rt, g, 'pixel_values')))));
    const trainable = new Set(model.trainableParameters());
    for (const [name, p] of model.namedParameters()) {
      const frozen = /^(patchEmbedding|clsToken|positionEmbedding|encoder\.0\.)/.test(name);
      expect(trainable.has(p), name).toBe(!frozen);
      expect(p.grad === null, name).toBe(frozen);
    }
    model.dispose();
  });
});
