// Loads Hugging Face ViTModel / BertModel weights from a local safetensors file into our encoders.
// Our parameter names are our own (one block implementation serves both models), so each model has a
// table from our names to HF's; the table also knows HF's layouts (the patch Conv2d kernel
// [hidden, channels, patch, patch] is our Linear [hidden, channels·patch·patch]; cls_token and
// position_embeddings carry a leading batch axis of 1). Both LayerNorm spellings (weight/bias and the
// older gamma/beta) and a `vit.` / `bert.` prefix (task-model checkpoints) are accepted.
import { readSafetensors, type ReadTensor } from '../io/safetensors.js';
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';
import type { BertEncoder } from './bert.js';
import type { ViTEncoder } from './vit.js';

interface Source {
  /** The HF tensor name (after prefix and LayerNorm-spelling normalisation). */
  hf: string;
  /** The shape HF stores; our parameter's shape when absent. */
  hfShape?: number[];
}

export interface HfLoadReport {
  /** Our parameter names that received values from the file. */
  loaded: string[];
  /** Our parameters the file does not have and that kept their values (only the projection head may be absent). */
  kept: string[];
  /** File tensors that belong to parts of the HF model we do not have (pooler of ViT, pretraining heads…). */
  ignored: string[];
}

/** Parameters HF models do not have: the projection head to the shared embedding space. */
const OURS_ONLY = ['projection.weight', 'projection.bias'];

const linear = (ours: string, hf: string): [string, Source][] => [
  [`${ours}.weight`, { hf: `${hf}.weight` }],
  [`${ours}.bias`, { hf: `${hf}.bias` }],
];

function blockSources(
  layers: number,
  names: Record<'query' | 'key' | 'value' | 'attnOut' | 'attnNorm' | 'inter' | 'out' | 'mlpNorm', string>,
): [string, Source][] {
  return Array.from({ length: layers }, (_, i) => {
    const hf = (suffix: string) => `encoder.layer.${i}.${suffix}`;
    const ours = (suffix: string) => `encoder.${i}.${suffix}`;
    return [
      ...linear(ours('attention.query'), hf(names.query)),
      ...linear(ours('attention.key'), hf(names.key)),
      ...linear(ours('attention.value'), hf(names.value)),
      ...linear(ours('attention.output'), hf(names.attnOut)),
      ...linear(ours('attentionNorm'), hf(names.attnNorm)),
      ...linear(ours('intermediate'), hf(names.inter)),
      ...linear(ours('output'), hf(names.out)),
      ...linear(ours('mlpNorm'), hf(names.mlpNorm)),
    ];
  }).flat();
}

function vitSources(model: ViTEncoder): Map<string, Source> {
  const c = model.config;
  const tokens = model.positionEmbedding.shape[0]!;
  return new Map([
    [
      'patchEmbedding.weight',
      {
        hf: 'embeddings.patch_embeddings.projection.weight',
        hfShape: [c.hidden, c.channels, c.patchSize, c.patchSize],
      },
    ],
    ['patchEmbedding.bias', { hf: 'embeddings.patch_embeddings.projection.bias' }],
    ['clsToken', { hf: 'embeddings.cls_token', hfShape: [1, 1, c.hidden] }],
    ['positionEmbedding', { hf: 'embeddings.position_embeddings', hfShape: [1, tokens, c.hidden] }],
    ...blockSources(c.layers, {
      query: 'attention.attention.query',
      key: 'attention.attention.key',
      value: 'attention.attention.value',
      attnOut: 'attention.output.dense',
      attnNorm: 'layernorm_before',
      inter: 'intermediate.dense',
      out: 'output.dense',
      mlpNorm: 'layernorm_after',
    }),
    ...linear('finalNorm', 'layernorm'),
    ...linear('projection', 'projection'),
  ]);
}

function bertSources(model: BertEncoder): Map<string, Source> {
  return new Map([
    ['wordEmbedding.weight', { hf: 'embeddings.word_embeddings.weight' }],
    ['positionEmbedding.weight', { hf: 'embeddings.position_embeddings.weight' }],
    ['tokenTypeEmbedding.weight', { hf: 'embeddings.token_type_embeddings.weight' }],
    ...linear('embeddingNorm', 'embeddings.LayerNorm'),
    ...blockSources(model.config.layers, {
      query: 'attention.self.query',
      key: 'attention.self.key',
      value: 'attention.self.value',
      attnOut: 'attention.output.dense',
      attnNorm: 'attention.output.LayerNorm',
      inter: 'intermediate.dense',
      out: 'output.dense',
      mlpNorm: 'output.LayerNorm',
    }),
    ...linear('pooler', 'pooler.dense'),
    ...linear('projection', 'projection'),
  ]);
}

/** HF parts we deliberately leave out: not an error to find them in a file. */
const IGNORED_PREFIXES = {
  vit: ['pooler.', 'classifier.', 'embeddings.mask_token'],
  bert: ['cls.', 'classifier.', 'qa_outputs.', 'embeddings.position_ids'],
};

/** Strips a `vit.`/`bert.` model prefix and spells old LayerNorm gamma/beta as weight/bias. */
function normaliseName(name: string, prefix: 'vit' | 'bert'): string {
  const bare = name.startsWith(`${prefix}.`) ? name.slice(prefix.length + 1) : name;
  return bare.replace(/LayerNorm\.gamma$/, 'LayerNorm.weight').replace(/LayerNorm\.beta$/, 'LayerNorm.bias');
}

function normalisedTensors(
  path: string,
  tensors: Map<string, ReadTensor>,
  prefix: 'vit' | 'bert',
): Map<string, { original: string; tensor: ReadTensor }> {
  const out = new Map<string, { original: string; tensor: ReadTensor }>();
  for (const [original, tensor] of tensors) {
    const name = normaliseName(original, prefix);
    const clash = out.get(name);
    if (clash) throw new Error(`${path}: tensors '${clash.original}' and '${original}' both give '${name}'`);
    out.set(name, { original, tensor });
  }
  return out;
}

const shapeText = (shape: readonly number[]) => `[${shape.join(', ')}]`;

function list(names: string[]): string {
  const shown = names.slice(0, 8).map((n) => `'${n}'`);
  return shown.join(', ') + (names.length > 8 ? ` and ${names.length - 8} more` : '');
}

function valuesFor(path: string, original: string, tensor: ReadTensor, param: Tensor, source: Source): Float32Array {
  if (!(tensor.data instanceof Float32Array))
    throw new Error(`${path}: tensor '${original}' has dtype ${tensor.dtype}; weights must be F32, F16 or BF16`);
  const want = source.hfShape ?? [...param.shape];
  if (shapeText(tensor.shape) !== shapeText(want)) {
    throw new Error(
      `${path}: tensor '${original}' has shape ${shapeText(tensor.shape)} but the model's config needs ${shapeText(want)}`,
    );
  }
  return tensor.data;
}

async function loadInto(
  model: Module,
  sources: Map<string, Source>,
  prefix: 'vit' | 'bert',
  path: string,
): Promise<HfLoadReport> {
  const { tensors } = await readSafetensors(path);
  const available = normalisedTensors(path, tensors, prefix);
  const params = new Map(model.namedParameters());
  const missing = [...params.keys()].filter(
    (name) => !available.has(sources.get(name)!.hf) && !OURS_ONLY.includes(name),
  );
  if (missing.length) throw new Error(`${path}: missing tensors for ${list(missing.map((n) => sources.get(n)!.hf))}`);
  const wanted = new Set([...sources.values()].map((s) => s.hf));
  const ignored = [...available.keys()].filter(
    (name) => !wanted.has(name) && IGNORED_PREFIXES[prefix].some((p) => name.startsWith(p)),
  );
  const unknown = [...available.entries()]
    .filter(([name]) => !wanted.has(name) && !ignored.includes(name))
    .map(([, t]) => t.original);
  if (unknown.length)
    throw new Error(
      `${path}: unknown tensors ${list(unknown)} (not part of a ${prefix === 'vit' ? 'ViTModel' : 'BertModel'} of this config)`,
    );
  // Every tensor is checked before any parameter is overwritten: a bad file leaves the model as it was.
  const uploads: [Tensor, Float32Array, string][] = [];
  const kept: string[] = [];
  for (const [name, param] of params) {
    const source = sources.get(name)!;
    const found = available.get(source.hf);
    if (!found) kept.push(name);
    else uploads.push([param, valuesFor(path, found.original, found.tensor, param, source), name]);
  }
  for (const [param, values] of uploads) param.runtime.upload(param, values);
  return { loaded: uploads.map(([, , name]) => name), kept, ignored: ignored.map((n) => available.get(n)!.original) };
}

/** Loads a ViTModel (or ViTFor… with `vit.` prefix) safetensors file into the encoder. */
export function loadHfViT(model: ViTEncoder, path: string): Promise<HfLoadReport> {
  return loadInto(model, vitSources(model), 'vit', path);
}

/** Loads a BertModel (or BertFor… with `bert.` prefix) safetensors file into the encoder. */
export function loadHfBert(model: BertEncoder, path: string): Promise<HfLoadReport> {
  return loadInto(model, bertSources(model), 'bert', path);
}

/** HF name of each of our parameters, for tests and for writing HF-named files. */
export function hfNames(model: ViTEncoder | BertEncoder): Map<string, string> {
  const sources = 'patchEmbedding' in model ? vitSources(model) : bertSources(model);
  return new Map([...sources].map(([ours, s]) => [ours, s.hf]));
}
