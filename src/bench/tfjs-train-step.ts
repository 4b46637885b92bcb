// The tfjs peer of the MedTrim train step (src/bench/suites/train-step.ts): a ViT and a BERT encoder of the
// preset's layer sizes written in tf ops — patch embedding, CLS token and learned positions, pre-LN ViT blocks,
// BERT word/position/type embeddings with post-LN blocks and a tanh pooler, multi-head attention composed of
// matMul/softmax, GELU (tanh form) MLPs, dropout as configured, linear projection heads — then the four-term
// triplet loss on L2-normalised embeddings with fixed mined indices, gradients by tf.variableGrads and an
// Adam update (tfjs has no AdamW; weight decay and clipping are left out).
import type * as TfTypes from '@tensorflow/tfjs';
import { randomFloats, randomInts, randomTriplets } from './random.js';
import type { PeerTrainStep, Tf } from './types.js';
import { BERT_PRESETS, VIT_PRESETS, type PresetName, type TransformerShape } from '../models/config.js';

type T = TfTypes.Tensor;

class Params {
  readonly variables: TfTypes.Variable[] = [];
  private seed = 1;

  constructor(private readonly tf: Tf) {}

  uniform(shape: number[], bound: number): TfTypes.Variable {
    const n = shape.reduce((p, d) => p * d, 1);
    const v = this.tf.variable(this.tf.tensor(randomFloats(n, this.seed++, -bound, bound), shape));
    this.variables.push(v);
    return v;
  }

  constant(shape: number[], value: number): TfTypes.Variable {
    const v = this.tf.variable(this.tf.fill(shape, value));
    this.variables.push(v);
    return v;
  }
}

interface Linear {
  w: T;
  b: T;
}

function linear(p: Params, inF: number, outF: number): Linear {
  const bound = 1 / Math.sqrt(inF);
  return { w: p.uniform([inF, outF], bound), b: p.uniform([outF], bound) };
}

interface Norm {
  gamma: T;
  beta: T;
}

const norm = (p: Params, dim: number): Norm => ({ gamma: p.constant([dim], 1), beta: p.constant([dim], 0) });

interface Block {
  q: Linear;
  k: Linear;
  v: Linear;
  o: Linear;
  up: Linear;
  down: Linear;
  attentionNorm: Norm;
  mlpNorm: Norm;
}

function block(p: Params, c: TransformerShape): Block {
  return {
    q: linear(p, c.hidden, c.hidden),
    k: linear(p, c.hidden, c.hidden),
    v: linear(p, c.hidden, c.hidden),
    o: linear(p, c.hidden, c.hidden),
    up: linear(p, c.hidden, c.mlp),
    down: linear(p, c.mlp, c.hidden),
    attentionNorm: norm(p, c.hidden),
    mlpNorm: norm(p, c.hidden),
  };
}

/** The ops the encoders are written in, closed over tf and the shape of the stack. */
function ops(tf: Tf, c: TransformerShape) {
  const apply = (l: Linear, x: T) => {
    const flat = x.reshape([-1, x.shape.at(-1)!]);
    return tf.add(tf.matMul(flat, l.w), l.b).reshape([...x.shape.slice(0, -1), l.w.shape[1]!]);
  };
  const layerNorm = (n: Norm, x: T) => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, c.layerNormEps))), n.gamma), n.beta);
  };
  const gelu = (x: T) =>
    tf.mul(
      tf.mul(x, 0.5),
      tf.add(tf.tanh(tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI))), 1),
    );
  const drop = (x: T) => (c.dropout > 0 ? tf.dropout(x, c.dropout) : x);
  const headDim = c.hidden / c.heads;
  const attention = (b: Block, x: T, maskBias: T | null) => {
    const [batch, seq] = x.shape as [number, number, number];
    const split = (t: T) => t.reshape([batch, seq, c.heads, headDim]).transpose([0, 2, 1, 3]);
    let scores = tf.mul(tf.matMul(split(apply(b.q, x)), split(apply(b.k, x)), false, true), 1 / Math.sqrt(headDim));
    if (maskBias) scores = tf.add(scores, maskBias);
    const context = tf.matMul(tf.softmax(scores), split(apply(b.v, x)));
    return apply(b.o, context.transpose([0, 2, 1, 3]).reshape([batch, seq, c.hidden]));
  };
  const mlp = (b: Block, x: T) => apply(b.down, gelu(apply(b.up, x)));
  const runBlock = (b: Block, x: T, placement: 'pre' | 'post', maskBias: T | null) => {
    if (placement === 'pre') {
      const h = tf.add(x, drop(attention(b, layerNorm(b.attentionNorm, x), maskBias)));
      return tf.add(h, drop(mlp(b, layerNorm(b.mlpNorm, h))));
    }
    const h = layerNorm(b.attentionNorm, tf.add(x, drop(attention(b, x, maskBias))));
    return layerNorm(b.mlpNorm, tf.add(h, drop(mlp(b, h))));
  };
  return { apply, layerNorm, drop, runBlock };
}

function l2normalize(tf: Tf, x: T): T {
  return tf.div(x, tf.sqrt(tf.add(tf.sum(tf.square(x), -1, true), 1e-12)));
}

/** The MedTrim loss: mean over anchors of Σ w·max(0, a·n − a·p + margin) over ii, tt (η) and it, ti (1 − η). */
function tripletLoss(tf: Tf, img: T, txt: T, positives: T, negatives: T, margin = 0.3, eta = 0.5): TfTypes.Scalar {
  const term = (anchors: T, others: T, w: number) => {
    const dot = (idx: T) => tf.sum(tf.mul(anchors, tf.gather(others, idx)), -1);
    return tf.mul(tf.relu(tf.add(tf.sub(dot(negatives), dot(positives)), margin)), w);
  };
  const total = tf.addN([term(img, img, eta), term(txt, txt, eta), term(img, txt, 1 - eta), term(txt, img, 1 - eta)]);
  return tf.mean(total) as TfTypes.Scalar;
}

export function tfjsTrainStep(tf: Tf, preset: PresetName, batch: number): PeerTrainStep {
  const v = VIT_PRESETS[preset];
  const b = BERT_PRESETS[preset];
  const p = new Params(tf);
  const patches = (v.imageSize / v.patchSize) ** 2;
  const patchInputs = v.channels * v.patchSize ** 2;
  const vit = {
    patch: linear(p, patchInputs, v.hidden),
    cls: p.uniform([1, 1, v.hidden], 0.02),
    positions: p.uniform([1, patches + 1, v.hidden], 0.02),
    blocks: Array.from({ length: v.layers }, () => block(p, v)),
    finalNorm: norm(p, v.hidden),
    projection: linear(p, v.hidden, v.embedDim),
  };
  const bert = {
    words: p.uniform([b.vocabSize, b.hidden], Math.sqrt(3)),
    positions: p.uniform([b.maxPositions, b.hidden], Math.sqrt(3)),
    types: p.uniform([b.typeVocabSize, b.hidden], Math.sqrt(3)),
    embeddingNorm: norm(p, b.hidden),
    blocks: Array.from({ length: b.layers }, () => block(p, b)),
    pooler: linear(p, b.hidden, b.hidden),
    projection: linear(p, b.hidden, b.embedDim),
  };
  const vo = ops(tf, v);
  const bo = ops(tf, b);
  const images = tf.tensor(randomFloats(batch * v.channels * v.imageSize ** 2, 11), [
    batch,
    v.channels,
    v.imageSize,
    v.imageSize,
  ]);
  const ids = tf.tensor(randomInts(batch * b.maxPositions, 12, b.vocabSize), [batch, b.maxPositions], 'int32');
  const typeIds = tf.zeros([batch, b.maxPositions], 'int32');
  const positionIds = tf.range(0, b.maxPositions, 1, 'int32');
  // All tokens attend (as in our step): the additive mask is zero, kept to do the same work as a padded batch.
  const maskBias = tf.zeros([batch, 1, 1, b.maxPositions]);
  const mined = randomTriplets(batch, 13);
  const positives = tf.tensor(mined.positives, [batch], 'int32');
  const negatives = tf.tensor(mined.negatives, [batch], 'int32');
  const adam = tf.train.adam(1e-3);

  const embedImages = () => {
    const rows = v.imageSize / v.patchSize;
    const grid = images
      .reshape([batch, v.channels, rows, v.patchSize, rows, v.patchSize])
      .transpose([0, 2, 4, 1, 3, 5])
      .reshape([batch, patches, patchInputs]);
    const tokens = tf.add(tf.concat([tf.tile(vit.cls, [batch, 1, 1]), vo.apply(vit.patch, grid)], 1), vit.positions);
    const hidden = vo.layerNorm(
      vit.finalNorm,
      vit.blocks.reduce((h, blk) => vo.runBlock(blk, h, 'pre', null), vo.drop(tokens)),
    );
    const cls = hidden.slice([0, 0, 0], [batch, 1, v.hidden]).reshape([batch, v.hidden]);
    return l2normalize(tf, vo.apply(vit.projection, cls));
  };
  const embedTexts = () => {
    const summed = tf.add(
      tf.add(tf.gather(bert.words, ids), tf.gather(bert.positions, positionIds)),
      tf.gather(bert.types, typeIds),
    );
    const embedded = bo.drop(bo.layerNorm(bert.embeddingNorm, summed));
    const hidden = bert.blocks.reduce((h, blk) => bo.runBlock(blk, h, 'post', maskBias), embedded);
    const cls = hidden.slice([0, 0, 0], [batch, 1, b.hidden]).reshape([batch, b.hidden]);
    return l2normalize(tf, bo.apply(bert.projection, tf.tanh(bo.apply(bert.pooler, cls))));
  };

  return {
    step() {
      const { grads } = tf.variableGrads(
        () => tripletLoss(tf, embedImages(), embedTexts(), positives, negatives),
        p.variables,
      );
      adam.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
    },
    dispose() {
      adam.dispose();
      for (const t of [...p.variables, images, ids, typeIds, positionIds, maskBias, positives, negatives]) t.dispose();
    },
  };
}
