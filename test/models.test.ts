// Encoder shapes, parameter counts against Hugging Face's published models, the HF name mapping, freezing,
// and the loader's errors — all without a GPU: the models are built on a stand-in runtime whose buffers are
// never touched (construction only allocates and uploads), and without random initialisation (drawing
// 200 M random values is what would make building the base models slow; counting needs no values).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Runtime } from '../src/gpu/runtime.js';
import { readSafetensors, writeSafetensors, type WriteTensor } from '../src/io/safetensors.js';
import { BertEncoder } from '../src/models/bert.js';
import { BERT_PRESETS, VIT_PRESETS, type BertConfig, type ViTConfig } from '../src/models/config.js';
import { hfNames, loadHfBert, loadHfViT } from '../src/models/hf-weights.js';
import { ViTEncoder } from '../src/models/vit.js';
import type { Module } from '../src/nn/module.js';

vi.mock(import('../src/nn/module.js'), async (importOriginal) => {
  const { Tensor } = await import('../src/tensor/tensor.js');
  return {
    ...(await importOriginal()),
    uniformParameter: (rt: Runtime, shape: readonly number[]) => new Tensor(rt, shape),
  };
});

const shapeOnly = {
  pool: { acquire: () => ({}), release: () => undefined },
  upload: () => undefined,
  flush: () => undefined,
} as unknown as Runtime;

function count(model: Module, skip = 'projection.'): number {
  return [...model.namedParameters()].filter(([name]) => !name.startsWith(skip)).reduce((n, [, p]) => n + p.size, 0);
}

describe('parameter counts', () => {
  // Hugging Face's counts, derived from the architectures: a Linear(i→o) has i·o + o parameters, a LayerNorm 2·d.
  // ViT-base: conv 3·16·16·768 + 768, cls 768, positions 197·768, 12 layers of
  // (2 LayerNorms 4·768 + Q/K/V/O 4·(768² + 768) + MLP 768·3072 + 3072 + 3072·768 + 768) = 7,087,872 each,
  // final LayerNorm 1,536: 85,798,656. ViTModel adds a pooler (768² + 768 = 590,592): 86,389,248, its published count.
  // BERT-base: embeddings (30522 + 512 + 2)·768 + LayerNorm 1,536 = 23,837,184, 12 layers as above, pooler 590,592:
  // 109,482,240 (bert-base-uncased); Bio_ClinicalBERT's vocabulary of 28,996 makes it 109,482,240 − 1,526·768 = 108,310,272.
  it('base ViT has the shapes of google/vit-base-patch16-224 (86,389,248 with HF pooler, which we omit)', () => {
    const vit = new ViTEncoder(shapeOnly, VIT_PRESETS.base);
    expect(count(vit)).toBe(85_798_656);
    expect(count(vit) + 768 * 768 + 768).toBe(86_389_248);
    expect(vit.positionEmbedding.shape).toEqual([197, 768]);
    expect(vit.patchEmbedding.weight.shape).toEqual([768, 3 * 16 * 16]);
  });

  it('base BERT has the shapes of bert-base-uncased (109,482,240) and Bio_ClinicalBERT (108,310,272)', () => {
    expect(count(new BertEncoder(shapeOnly, BERT_PRESETS.base))).toBe(109_482_240);
    expect(count(new BertEncoder(shapeOnly, { ...BERT_PRESETS.base, vocabSize: 28_996 }))).toBe(108_310_272);
  });

  it('the tiny preset has under 0.5 M parameters in all', () => {
    const total =
      count(new ViTEncoder(shapeOnly, VIT_PRESETS.tiny), '-') +
      count(new BertEncoder(shapeOnly, BERT_PRESETS.tiny), '-');
    // ViT 109,568 + BERT 242,688 (of which 131,072 word embeddings).
    expect(total).toBe(109_568 + 242_688);
    expect(total).toBeLessThan(500_000);
  });
});

describe('configs and freezing', () => {
  it('rejects configs the kernels cannot run, naming the field', () => {
    expect(() => new ViTEncoder(shapeOnly, { ...VIT_PRESETS.tiny, heads: 3 })).toThrow(
      /hidden 64 is not divisible by heads 3/,
    );
    expect(() => new ViTEncoder(shapeOnly, { ...VIT_PRESETS.tiny, hidden: 24, heads: 4 })).toThrow(
      /head size 6 must be a multiple of 4/,
    );
    expect(() => new ViTEncoder(shapeOnly, { ...VIT_PRESETS.tiny, imageSize: 30 })).toThrow(
      /imageSize 30 is not divisible by patchSize 8/,
    );
    expect(() => new BertEncoder(shapeOnly, { ...BERT_PRESETS.tiny, vocabSize: 0 })).toThrow(
      /vocabSize must be a positive integer/,
    );
  });

  it('freeze(k) takes the embeddings and the first k blocks out of training', () => {
    const bert = new BertEncoder(shapeOnly, BERT_PRESETS.tiny);
    bert.freeze(1);
    const trainable = new Set(bert.trainableParameters());
    const frozen = [...bert.namedParameters()].filter(([, p]) => !trainable.has(p)).map(([n]) => n);
    expect(
      frozen.every((n) =>
        /^(wordEmbedding|positionEmbedding|tokenTypeEmbedding|embeddingNorm)\.|^encoder\.0\./.test(n),
      ),
    ).toBe(true);
    expect(frozen.length).toBe(5 + 16);
    expect([...trainable].every((p) => p.requiresGrad)).toBe(true);
    expect(() => bert.freeze(3)).toThrow(/layers must be an integer in \[0, 2\]/);
  });

  it('every parameter has its own HF name', () => {
    for (const model of [
      new ViTEncoder(shapeOnly, VIT_PRESETS.small),
      new BertEncoder(shapeOnly, BERT_PRESETS.small),
    ]) {
      const names = hfNames(model);
      expect([...names.keys()].sort()).toEqual([...model.namedParameters()].map(([n]) => n).sort());
      expect(new Set(names.values()).size).toBe(names.size);
    }
  });
});

describe('Hugging Face weight loading errors', () => {
  const golden = (name: string) => fileURLToPath(new URL(`fixtures/golden/${name}.safetensors`, import.meta.url));
  let dir: string;
  beforeAll(async () => (dir = await mkdtemp(join(tmpdir(), 'medtrim-hf-'))));
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  /** The golden weights file, edited, written to a temporary file. */
  async function edited(stem: string, edit: (tensors: Record<string, WriteTensor>) => void): Promise<string> {
    const { tensors } = await readSafetensors(golden(`${stem}-weights`));
    const out: Record<string, WriteTensor> = {};
    for (const [name, t] of tensors) out[name] = { dtype: 'F32', shape: t.shape, data: t.data as Float32Array };
    edit(out);
    const path = join(dir, `${stem}-${Object.keys(out).length}-${Math.random().toString(36).slice(2)}.safetensors`);
    await writeSafetensors(path, out);
    return path;
  }

  const bertConfig = async () =>
    JSON.parse((await readSafetensors(golden('bert-golden-io'))).metadata.config!) as BertConfig;
  const vitConfig = async () =>
    JSON.parse((await readSafetensors(golden('vit-golden-io'))).metadata.config!) as ViTConfig;

  it('names the file and the missing tensor', async () => {
    const path = await edited('bert-golden', (t) => delete t['bert.encoder.layer.1.output.dense.bias']);
    const model = new BertEncoder(shapeOnly, await bertConfig());
    await expect(loadHfBert(model, path)).rejects.toThrow(
      `${path}: missing tensors for 'encoder.layer.1.output.dense.bias'`,
    );
  });

  it('names unknown tensors (e.g. a layer the config does not have)', async () => {
    const path = await edited(
      'bert-golden',
      (t) => (t['bert.encoder.layer.2.output.dense.bias'] = t['bert.encoder.layer.1.output.dense.bias']!),
    );
    const model = new BertEncoder(shapeOnly, await bertConfig());
    await expect(loadHfBert(model, path)).rejects.toThrow(
      `${path}: unknown tensors 'bert.encoder.layer.2.output.dense.bias'`,
    );
  });

  it('names a mis-shaped tensor with both shapes', async () => {
    const model = new BertEncoder(shapeOnly, { ...(await bertConfig()), vocabSize: 99 });
    await expect(loadHfBert(model, golden('bert-golden-weights'))).rejects.toThrow(
      /bert-golden-weights\.safetensors: tensor 'bert\.embeddings\.word_embeddings\.weight' has shape \[100, 32\] but the model's config needs \[99, 32\]/,
    );
    const grayscale = new ViTEncoder(shapeOnly, { ...(await vitConfig()), channels: 1 });
    await expect(loadHfViT(grayscale, golden('vit-golden-weights'))).rejects.toThrow(
      /'embeddings\.patch_embeddings\.projection\.weight' has shape \[32, 3, 8, 8\] but the model's config needs \[32, 1, 8, 8\]/,
    );
  });

  it('rejects two spellings of one LayerNorm tensor', async () => {
    const path = await edited(
      'bert-golden',
      (t) => (t['bert.embeddings.LayerNorm.weight'] = t['bert.embeddings.LayerNorm.gamma']!),
    );
    const model = new BertEncoder(shapeOnly, await bertConfig());
    await expect(loadHfBert(model, path)).rejects.toThrow(/both give 'embeddings\.LayerNorm\.weight'/);
  });

  it('a file without our projection head (a plain HF checkpoint) keeps the head as initialised', async () => {
    const path = await edited('vit-golden', (t) => {
      delete t['projection.weight'];
      delete t['projection.bias'];
    });
    const report = await loadHfViT(new ViTEncoder(shapeOnly, await vitConfig()), path);
    expect(report.kept).toEqual(['projection.weight', 'projection.bias']);
    expect(report.ignored.sort()).toEqual(['pooler.dense.bias', 'pooler.dense.weight']);
  });
});
