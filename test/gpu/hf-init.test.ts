// Fine-tuning from Hugging Face folders (--init-image / --init-text): scripts/golden/hf_folders.py wrote a tiny
// ViTModel and BertModel folder (config.json, model.safetensors; vocab.txt and a cased tokenizer_config.json
// for the text side) and PyTorch's forward pass on them. A run started from those folders takes its encoder
// shapes from config.json, loads every weight, starts fresh projection heads, keeps frozen layers fixed, and
// its encoders compute what PyTorch computes. Bad folders stop with one line naming the file.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { noGrad } from '../../src/autograd/index.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import { tensorFrom, tidyAsync } from '../../src/tensor/tensor.js';
import { readHfTokenizerSettings } from '../../src/models/hf-folder.js';
import { createRun, train } from '../../src/train/run.js';
import { gpuRuntime } from '../helpers/gpu.js';
import { writeManifest } from '../helpers/manifest.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/hf/${name}`, import.meta.url));
const VIT_DIR = fixture('tiny-vit');
const BERT_DIR = fixture('tiny-bert');

/** Largest |a − b| relative to b's largest magnitude. */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst / scale;
}

function settings(manifest: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    data: manifest,
    initImage: VIT_DIR,
    initText: BERT_DIR,
    maxTokens: 32,
    steps: 2,
    batchSize: 4,
    warmupSteps: 1,
    dataWorkers: 0,
    checkpointEvery: 0,
    ...extra,
  };
}

describe('--init-image / --init-text from Hugging Face folders', () => {
  const data = writeManifest(12, { row: (r, i) => ({ ...r, split: i < 9 ? 'train' : 'test' }) });

  it('takes shapes from config.json, loads all weights, and its encoders compute what PyTorch computes', async () => {
    const rt = await gpuRuntime();
    const dir = mkdtempSync(join(tmpdir(), 'medtrim-hf-'));
    const notes: string[] = [];
    const run = await createRun(rt, dir, settings(data.manifest), { log: (l) => notes.push(l) });
    expect(run.model.vit).toMatchObject({
      imageSize: 16,
      patchSize: 8,
      channels: 3,
      hidden: 32,
      layers: 2,
      heads: 2,
      mlp: 64,
    });
    expect(run.model.bert).toMatchObject({ vocabSize: 36, maxPositions: 32, hidden: 32, layers: 2 });
    expect(run.data.dataset.size).toBe(16);
    expect(notes).toEqual([
      `medtrim train: image encoder from ${VIT_DIR}: ${run.model.image.parameters().length - 2} tensors loaded; freshly initialised: projection.weight, projection.bias; not used: pooler.dense.weight, pooler.dense.bias`,
      `medtrim train: text encoder from ${BERT_DIR}: ${run.model.text.parameters().length - 2} tensors loaded; freshly initialised: projection.weight, projection.bias`,
    ]);
    // The folder's tokenizer is cased (tokenizer_config.json: do_lower_case false) and its vocabulary is the run's.
    expect(run.data.tokenizer.lowercase).toBe(false);
    expect(run.data.tokenizer.tokenize('Pleural Effusion, cardiomegaly')).toEqual([
      'Pleural',
      'Effusion',
      ',',
      'cardio',
      '##megaly',
    ]);

    const io = (await readSafetensors(fixture('forward.safetensors'))).tensors;
    const get = (name: string) => io.get(name)!;
    run.model.eval();
    await tidyAsync(async () => {
      const pixels = get('pixel_values');
      const image = noGrad(() => run.model.image.forward(tensorFrom(rt, pixels.data, pixels.shape)));
      expect(relativeError(await image.hidden.read(), get('vit_hidden').data)).toBeLessThan(1e-4);
      const ids = get('input_ids');
      const mask = get('attention_mask');
      const text = noGrad(() =>
        run.model.text.forward({
          inputIds: tensorFrom(rt, ids.data, ids.shape, 'i32'),
          attentionMask: tensorFrom(rt, mask.data, mask.shape, 'i32'),
        }),
      );
      expect(relativeError(await text.hidden.read(), get('bert_hidden').data)).toBeLessThan(1e-4);
      expect(relativeError(await text.pooled.read(), get('bert_pooled').data)).toBeLessThan(1e-4);
    });
    run.model.dispose();
  });

  it('keeps the frozen layers at the pretrained values while training the rest', async () => {
    const rt = await gpuRuntime();
    const dir = mkdtempSync(join(tmpdir(), 'medtrim-hf-'));
    const run = await createRun(rt, dir, settings(data.manifest, { freezeImageLayers: 1, freezeTextLayers: 2 }), {
      log: () => {},
    });
    const named = () => new Map([...run.model.namedParameters()]);
    const before = new Map(
      await Promise.all([...named()].map(async ([n, p]) => [n, Float32Array.from(await p.read())] as const)),
    );
    await train(run);
    const changed = new Set<string>();
    for (const [n, p] of named()) if (relativeError(await p.read(), before.get(n)!) > 0) changed.add(n);
    for (const n of before.keys()) {
      const frozen =
        /^image\.(patchEmbedding|clsToken|positionEmbedding|encoder\.0\.)/.test(n) ||
        /^text\.(wordEmbedding|positionEmbedding|tokenTypeEmbedding|embeddingNorm|encoder\.)/.test(n);
      if (frozen) expect(changed.has(n), `${n} is frozen`).toBe(false);
    }
    expect(changed.has('image.encoder.1.attention.query.weight')).toBe(true);
    expect(changed.has('image.projection.weight')).toBe(true);
    expect(changed.has('text.projection.weight')).toBe(true);
    run.model.dispose();
  });

  it('--vocab FILE: the run tokenizes with the given vocab.txt instead of learning one from the reports', async () => {
    const rt = await gpuRuntime();
    const dir = mkdtempSync(join(tmpdir(), 'medtrim-vocab-'));
    const run = await createRun(rt, dir, {
      vocabFile: join(BERT_DIR, 'vocab.txt'),
      lowercase: false,
      dataCount: 40,
      steps: 1,
      batchSize: 4,
    });
    const given = readFileSync(join(BERT_DIR, 'vocab.txt'), 'utf8');
    expect(readFileSync(join(dir, 'vocab.txt'), 'utf8')).toBe(given);
    expect(run.model.bert.vocabSize).toBe(given.trim().split('\n').length);
    expect(run.data.tokenizer.tokenize('Small left pleural Effusion')).toEqual([
      '[UNK]',
      'left',
      'pleural',
      'Effusion',
    ]);
    run.model.dispose();
  });

  it('without do_lower_case anywhere, a vocabulary with capitals is taken as cased, one without as uncased', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'medtrim-hf-case-'));
    cpSync(BERT_DIR, folder, { recursive: true });
    rmSync(join(folder, 'tokenizer_config.json'));
    expect(readHfTokenizerSettings(folder).lowercase).toBe(false);
    writeFileSync(
      join(folder, 'vocab.txt'),
      readFileSync(join(BERT_DIR, 'vocab.txt'), 'utf8')
        .split('\n')
        .filter((t) => !/[A-Z]/.test(t) || /^\[[A-Z]+\]$/.test(t))
        .join('\n'),
    );
    expect(readHfTokenizerSettings(folder).lowercase).toBe(true);
  });

  it('stops with one line naming the file for a missing weights file, a shape mismatch or a short position table', async () => {
    const rt = await gpuRuntime();
    const broken = mkdtempSync(join(tmpdir(), 'medtrim-hf-bad-'));
    const out = () => mkdtempSync(join(tmpdir(), 'medtrim-hf-'));
    cpSync(VIT_DIR, broken, { recursive: true });
    rmSync(join(broken, 'model.safetensors'));
    await expect(createRun(rt, out(), settings(data.manifest, { initImage: broken }))).rejects.toThrow(
      `${join(broken, 'model.safetensors')}: missing`,
    );
    cpSync(VIT_DIR, broken, { recursive: true });
    const config = JSON.parse(readFileSync(join(VIT_DIR, 'config.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(broken, 'config.json'), JSON.stringify({ ...config, intermediate_size: 48 }));
    await expect(
      createRun(rt, out(), settings(data.manifest, { initImage: broken }), { log: () => {} }),
    ).rejects.toThrow(
      /model\.safetensors: tensor 'encoder\.layer\.0\.intermediate\.dense\.weight' has shape \[64, 32\] but the model's config needs \[48, 32\]/,
    );
    await expect(createRun(rt, out(), settings(data.manifest, { maxTokens: 64 }))).rejects.toThrow(
      /tiny-bert\/config\.json: max_position_embeddings 32 is below maxTokens 64/,
    );
    rmSync(join(broken, 'config.json'));
    await expect(createRun(rt, out(), settings(data.manifest, { initImage: broken }))).rejects.toThrow(
      `${join(broken, 'config.json')}: missing`,
    );
  });
});
