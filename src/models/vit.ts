// Vision Transformer image encoder, following Hugging Face's ViTModel: non-overlapping patches through one
// linear map (the patch convolution written as a matrix product), a learned CLS token, learned position
// embeddings, pre-LN blocks, a final LayerNorm; then a linear projection head from the CLS token (or the
// mean of all tokens, `pooling: 'mean'`) to the shared embedding space (HF's ViT pooler is not used).
import { add, permute, reshape } from '../autograd/index.js';
import type { Runtime } from '../gpu/runtime.js';
import { LayerNorm, Linear } from '../nn/layers.js';
import { uniformParameter } from '../nn/module.js';
import { Rng } from '../util/rng.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkViTConfig, type ViTConfig } from './config.js';
import {
  BlockStack,
  firstToken,
  meanToken,
  prependRow,
  SeededDropout,
  TransformerEncoder,
  type EncoderOutput,
} from './transformer.js';

/**
 * images [batch, channels, size, size] → patches [batch, patches, channels·patch·patch], each patch flattened
 * in (channel, row, column) order — the order of a Conv2d kernel [hidden, channels, patch, patch].
 */
export function patchify(images: Tensor, patch: number): Tensor {
  const [batch, channels, height, width] = images.shape as [number, number, number, number];
  const rows = height / patch;
  const cols = width / patch;
  const grid = reshape(images, [batch, channels, rows, patch, cols, patch]);
  const patchesFirst = permute(grid, [0, 2, 4, 1, 3, 5]);
  return reshape(patchesFirst, [batch, rows * cols, channels * patch * patch]);
}

export class ViTEncoder extends TransformerEncoder {
  readonly patchEmbedding: Linear;
  readonly clsToken: Tensor;
  readonly positionEmbedding: Tensor;
  readonly encoder: BlockStack;
  readonly finalNorm: LayerNorm;
  readonly projection: Linear;
  protected readonly embeddingPrefixes = ['patchEmbedding.', 'clsToken', 'positionEmbedding'];
  private readonly embeddingDropout: SeededDropout;

  constructor(
    rt: Runtime,
    readonly config: ViTConfig,
    seed = 0,
  ) {
    super(seed);
    checkViTConfig(config);
    const c = config;
    const rng = new Rng(seed, 0x5717);
    const patchInputs = c.channels * c.patchSize * c.patchSize;
    const tokens = (c.imageSize / c.patchSize) ** 2 + 1;
    this.patchEmbedding = this.addModule('patchEmbedding', new Linear(rt, patchInputs, c.hidden, rng));
    // Small uniform values; HF draws truncated normals of std 0.02 — a pretrained checkpoint overwrites both.
    this.clsToken = this.addParameter('clsToken', uniformParameter(rt, [1, c.hidden], 0.02, rng));
    this.positionEmbedding = this.addParameter(
      'positionEmbedding',
      uniformParameter(rt, [tokens, c.hidden], 0.02, rng),
    );
    this.embeddingDropout = this.addModule('embeddingDropout', new SeededDropout(c.dropout, this.dropoutStream));
    this.encoder = this.addModule('encoder', new BlockStack(rt, c, 'pre', rng, this.dropoutStream));
    this.finalNorm = this.addModule('finalNorm', new LayerNorm(rt, c.hidden, c.layerNormEps));
    this.projection = this.addModule('projection', new Linear(rt, c.hidden, c.embedDim, rng));
  }

  /** images f32 [batch, channels, imageSize, imageSize]. */
  forward(images: Tensor): EncoderOutput {
    const c = this.config;
    const expected = [images.shape[0], c.channels, c.imageSize, c.imageSize];
    if (images.rank !== 4 || images.shape.some((d, i) => d !== expected[i])) {
      throw new Error(
        `ViT: images must be [batch, ${c.channels}, ${c.imageSize}, ${c.imageSize}], got [${images.shape.join(', ')}]`,
      );
    }
    const patches = this.patchEmbedding.forward(patchify(images, c.patchSize));
    const tokens = add(prependRow(this.clsToken, patches), this.positionEmbedding);
    const hidden = this.encoder.forward(this.embeddingDropout.forward(tokens), undefined, this.finalNorm);
    return {
      hidden,
      embedding: this.projection.forward(c.pooling === 'mean' ? meanToken(hidden) : firstToken(hidden)),
    };
  }
}
