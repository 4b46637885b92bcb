// BERT text encoder, following Hugging Face's BertModel: word + position + token-type embeddings, LayerNorm,
// post-LN blocks with key-padding attention masks, the pooler (dense + tanh on [CLS]); then a linear
// projection head from the pooled vector to the shared embedding space.
import { add, embedding, tanh } from '../autograd/index.js';
import type { Runtime } from '../gpu/runtime.js';
import { Embedding, LayerNorm, Linear } from '../nn/layers.js';
import { Rng } from '../util/rng.js';
import type { BatchEncoding } from '../text/tokenizer.js';
import { tensorFrom, type Tensor } from '../tensor/tensor.js';
import { checkBertConfig, type BertConfig } from './config.js';
import { BlockStack, firstToken, SeededDropout, TransformerEncoder, type EncoderOutput } from './transformer.js';

/** A tokenized batch on the GPU: i32 [batch, seq] each; attentionMask 0 marks padding. */
export interface TextBatch {
  inputIds: Tensor;
  attentionMask: Tensor;
  tokenTypeIds?: Tensor;
}

export interface BertOutput extends EncoderOutput {
  /** The pooler's output tanh(dense(hidden[:, 0])) [batch, hidden]. */
  pooled: Tensor;
}

/** Uploads a tokenizer batch (src/text/tokenizer.ts encodeBatch) as i32 tensors. */
export function uploadTextBatch(rt: Runtime, batch: BatchEncoding): TextBatch {
  const shape = [batch.batchSize, batch.seqLen];
  return {
    inputIds: tensorFrom(rt, batch.inputIds, shape, 'i32'),
    attentionMask: tensorFrom(rt, batch.attentionMask, shape, 'i32'),
    tokenTypeIds: tensorFrom(rt, batch.tokenTypeIds, shape, 'i32'),
  };
}

export class BertEncoder extends TransformerEncoder {
  readonly wordEmbedding: Embedding;
  readonly positionEmbedding: Embedding;
  readonly tokenTypeEmbedding: Embedding;
  readonly embeddingNorm: LayerNorm;
  readonly encoder: BlockStack;
  readonly pooler: Linear;
  readonly projection: Linear;
  protected readonly embeddingPrefixes = [
    'wordEmbedding.',
    'positionEmbedding.',
    'tokenTypeEmbedding.',
    'embeddingNorm.',
  ];
  private readonly embeddingDropout: SeededDropout;

  constructor(
    rt: Runtime,
    readonly config: BertConfig,
    seed = 0,
  ) {
    super(seed);
    checkBertConfig(config);
    const c = config;
    const rng = new Rng(seed, 0xbe27);
    this.wordEmbedding = this.addModule('wordEmbedding', new Embedding(rt, c.vocabSize, c.hidden, rng));
    this.positionEmbedding = this.addModule('positionEmbedding', new Embedding(rt, c.maxPositions, c.hidden, rng));
    this.tokenTypeEmbedding = this.addModule('tokenTypeEmbedding', new Embedding(rt, c.typeVocabSize, c.hidden, rng));
    this.embeddingNorm = this.addModule('embeddingNorm', new LayerNorm(rt, c.hidden, c.layerNormEps));
    this.embeddingDropout = this.addModule('embeddingDropout', new SeededDropout(c.dropout, this.dropoutStream));
    this.encoder = this.addModule('encoder', new BlockStack(rt, c, 'post', rng, this.dropoutStream));
    this.pooler = this.addModule('pooler', new Linear(rt, c.hidden, c.hidden, rng));
    this.projection = this.addModule('projection', new Linear(rt, c.hidden, c.embedDim, rng));
  }

  forward(batch: TextBatch): BertOutput {
    const [size, seq] = this.checkBatch(batch);
    const rt = batch.inputIds.runtime;
    const positions = tensorFrom(
      rt,
      Array.from({ length: seq }, (_, i) => i),
      [seq],
      'i32',
    );
    const types = batch.tokenTypeIds ?? tensorFrom(rt, new Int32Array(size * seq), [size, seq], 'i32');
    const summed = add(
      add(this.wordEmbedding.forward(batch.inputIds), embedding(this.positionEmbedding.weight, positions)),
      this.tokenTypeEmbedding.forward(types),
    );
    const embedded = this.embeddingDropout.forward(this.embeddingNorm.forward(summed));
    const hidden = this.encoder.forward(embedded, batch.attentionMask);
    const pooled = tanh(this.pooler.forward(firstToken(hidden)));
    return { hidden, pooled, embedding: this.projection.forward(pooled) };
  }

  private checkBatch(batch: TextBatch): [number, number] {
    const { inputIds, attentionMask, tokenTypeIds } = batch;
    const [size, seq] = inputIds.shape as [number, number];
    if (inputIds.rank !== 2 || inputIds.dtype !== 'i32')
      throw new Error(`BERT: inputIds must be i32 [batch, seq], got ${inputIds}`);
    if (seq > this.config.maxPositions)
      throw new Error(`BERT: sequence length ${seq} exceeds maxPositions ${this.config.maxPositions}`);
    for (const [name, t] of [
      ['attentionMask', attentionMask],
      ['tokenTypeIds', tokenTypeIds],
    ] as const) {
      if (t && (t.rank !== 2 || t.shape[0] !== size || t.shape[1] !== seq || t.dtype !== 'i32'))
        throw new Error(`BERT: ${name} must be i32 [${size}, ${seq}], got ${t}`);
    }
    return [size, seq];
  }
}
