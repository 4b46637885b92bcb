// The transformer encoder block shared by the ViT (pre-LN) and BERT (post-LN) encoders, with the pieces
// both encoders use: multi-head self-attention, seeded dropout whose state can be checkpointed, and
// exact row selection/insertion by constant 0/1 matrices.
import {
  add,
  attention,
  dropout,
  geluMlp,
  matmul,
  permute,
  qkvAttention,
  reshape,
  residualLayerNorm,
  scale,
  softmax,
} from '../autograd/index.js';
import type { BranchDropout } from '../ops/layernorm.js';
import type { Runtime } from '../gpu/runtime.js';
import { LayerNorm, Linear } from '../nn/layers.js';
import { Module } from '../nn/module.js';
import { hash32, type Rng } from '../util/rng.js';
import { tensorFrom, type Tensor } from '../tensor/tensor.js';
import type { TransformerShape } from './config.js';

/**
 * Dropout masks drawn from (seed, call number): seed and call counter are all the state there is, so saving
 * them in a checkpoint makes a resumed run draw the very masks an uninterrupted one would have drawn.
 */
export class DropoutStream {
  calls = 0;

  constructor(public seed: number) {}

  nextSeed(): number {
    return hash32(this.seed, this.calls++);
  }
}

/** Dropout at rate p in training mode (masks from the shared stream); the identity in eval mode. */
export class SeededDropout extends Module {
  constructor(
    readonly p: number,
    private readonly stream: DropoutStream,
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    const mask = this.nextMask();
    return mask ? dropout(x, mask.p, mask.seed) : x;
  }

  /** The mask the next forward would apply (drawing its seed), for a kernel that drops in place; null: none. */
  nextMask(): BranchDropout | null {
    if (!this.training || this.p === 0) return null;
    return { p: this.p, seed: this.stream.nextSeed() };
  }
}

/** Multi-head attention over q, k, v [batch, seq, heads·headDim]; keyPadding [batch, seq] is 0 at padding. */
export type AttentionFn = (q: Tensor, k: Tensor, v: Tensor, heads: number, keyPadding?: Tensor) => Tensor;

/** The fused flash-attention kernels, reading the projections' layout in place. */
export const fusedAttention: AttentionFn = (q, k, v, heads, keyPadding) =>
  attention(q, k, v, { layout: 'bshd', heads, keyPadding });

/**
 * softmax(q·kᵀ/√d)·v from differentiable matmul/softmax/permute: the cross-check of the fused kernels (golden
 * tests run the block both ways). No padding mask.
 */
export const composedAttention: AttentionFn = (q, k, v, heads, keyPadding) => {
  if (keyPadding) throw new Error('composedAttention: key padding is only supported by the fused kernels');
  const [batch, seq, dim] = q.shape as [number, number, number];
  const headDim = dim / heads;
  const split = (t: Tensor) => permute(reshape(t, [batch, seq, heads, headDim]), [0, 2, 1, 3]);
  const scores = scale(matmul(split(q), split(k), { transB: true }), 1 / Math.sqrt(headDim));
  const context = matmul(softmax(scores), split(v));
  return reshape(permute(context, [0, 2, 1, 3]), [batch, seq, dim]);
};

export class SelfAttention extends Module {
  readonly query: Linear;
  readonly key: Linear;
  readonly value: Linear;
  readonly output: Linear;

  constructor(
    rt: Runtime,
    hidden: number,
    readonly heads: number,
    rng: Rng,
    private readonly attend: AttentionFn = fusedAttention,
  ) {
    super();
    this.query = this.addModule('query', new Linear(rt, hidden, hidden, rng));
    this.key = this.addModule('key', new Linear(rt, hidden, hidden, rng));
    this.value = this.addModule('value', new Linear(rt, hidden, hidden, rng));
    this.output = this.addModule('output', new Linear(rt, hidden, hidden, rng));
  }

  /**
   * x [batch, seq, hidden]; keyPadding [batch, seq] with 0 at padding. With the fused kernels, the three
   * projections run as one batched product when their parameters' layout allows (see qkvAttention), with the
   * same numbers as three linear layers.
   */
  forward(x: Tensor, keyPadding?: Tensor): Tensor {
    const fused =
      this.attend === fusedAttention
        ? qkvAttention(x, [this.query, this.key, this.value], { heads: this.heads, keyPadding })
        : null;
    if (fused) return this.output.forward(fused);
    const context = this.attend(
      this.query.forward(x),
      this.key.forward(x),
      this.value.forward(x),
      this.heads,
      keyPadding,
    );
    return this.output.forward(context);
  }
}

/** Where each LayerNorm sits: before its sub-layer (ViT, GPT-2) or after the residual sum (original BERT). */
export type NormPlacement = 'pre' | 'post';

export class TransformerBlock extends Module {
  readonly attention: SelfAttention;
  readonly attentionNorm: LayerNorm;
  readonly intermediate: Linear;
  readonly output: Linear;
  readonly mlpNorm: LayerNorm;
  private readonly dropout: SeededDropout;

  constructor(
    rt: Runtime,
    c: TransformerShape,
    readonly placement: NormPlacement,
    rng: Rng,
    stream: DropoutStream,
    attend: AttentionFn = fusedAttention,
  ) {
    super();
    this.attention = this.addModule('attention', new SelfAttention(rt, c.hidden, c.heads, rng, attend));
    this.attentionNorm = this.addModule('attentionNorm', new LayerNorm(rt, c.hidden, c.layerNormEps));
    this.intermediate = this.addModule('intermediate', new Linear(rt, c.hidden, c.mlp, rng));
    this.output = this.addModule('output', new Linear(rt, c.mlp, c.hidden, rng));
    this.mlpNorm = this.addModule('mlpNorm', new LayerNorm(rt, c.hidden, c.layerNormEps));
    this.dropout = this.addModule('dropout', new SeededDropout(c.dropout, stream));
  }

  /** pre: x + drop(f(norm(x))) for each sub-layer;  post: norm(x + drop(f(x))). */
  forward(x: Tensor, keyPadding?: Tensor): Tensor {
    if (this.placement === 'pre') return this.forwardPre(x, null, keyPadding, null).out;
    const attended = this.addNorm(x, this.attention.forward(x, keyPadding), this.attentionNorm).normed;
    return this.addNorm(attended, this.mlp(attended), this.mlpNorm).normed;
  }

  /**
   * The pre-LN block given norm(x) when the previous residual already made it (else computed here), and, with
   * `nextNorm` (the next block's first norm, or the encoder's final one), that norm of the output too: every
   * residual sum is then fused with the norm after it.
   */
  forwardPre(
    x: Tensor,
    normedX: Tensor | null,
    keyPadding: Tensor | undefined,
    nextNorm: LayerNorm | null,
  ): { out: Tensor; normedOut: Tensor | null } {
    const attended = this.addNorm(
      x,
      this.attention.forward(normedX ?? this.attentionNorm.forward(x), keyPadding),
      this.mlpNorm,
    );
    const branch = this.mlp(attended.normed);
    if (!nextNorm) return { out: add(attended.sum, this.dropout.forward(branch)), normedOut: null };
    const next = this.addNorm(attended.sum, branch, nextNorm);
    return { out: next.sum, normedOut: next.normed };
  }

  /** output(gelu(intermediate(h))) in two products (GELU in the first one's store). */
  private mlp(h: Tensor): Tensor {
    const [up, down] = [this.intermediate, this.output];
    return geluMlp(h, up.weight, up.bias!, down.weight, down.bias!);
  }

  /** x + drop(branch) and norm of it, in one kernel. */
  private addNorm(x: Tensor, branch: Tensor, norm: LayerNorm): { sum: Tensor; normed: Tensor } {
    return residualLayerNorm(x, branch, norm.weight, norm.bias, norm.eps, this.dropout.nextMask());
  }
}

/** The stack of blocks, named `0`, `1`, … (so parameters read `blocks.3.attention.query.weight`). */
export class BlockStack extends Module {
  readonly blocks: TransformerBlock[];

  constructor(rt: Runtime, c: TransformerShape, placement: NormPlacement, rng: Rng, stream: DropoutStream) {
    super();
    this.blocks = Array.from({ length: c.layers }, (_, i) =>
      this.addModule(String(i), new TransformerBlock(rt, c, placement, rng, stream)),
    );
  }

  /**
   * The blocks in turn. With `finalNorm` (pre-LN stacks: the encoder's last norm), returns finalNorm of the last
   * block's output, each block's output norm fused with its last residual sum.
   */
  forward(x: Tensor, keyPadding?: Tensor, finalNorm?: LayerNorm): Tensor {
    const pre = this.blocks[0]?.placement === 'pre';
    if (!finalNorm || !pre) {
      const out = this.blocks.reduce((h, block) => block.forward(h, keyPadding), x);
      return finalNorm ? finalNorm.forward(out) : out;
    }
    if (!this.blocks.length) return finalNorm.forward(x);
    let h = x;
    let normed: Tensor | null = null;
    this.blocks.forEach((block, i) => {
      const nextNorm = this.blocks[i + 1]?.attentionNorm ?? finalNorm;
      ({ out: h, normedOut: normed } = block.forwardPre(h, normed, keyPadding, nextNorm));
    });
    return normed!;
  }
}

/**
 * Row 0 of every sequence: x [batch, seq, dim] → [batch, dim], as a product with the one-hot row e₀ᵀ
 * (exact: each output is 1·x plus zeros), which keeps it differentiable without a slicing op.
 */
/** The mean over the sequence of x [batch, seq, dim] → [batch, dim] (a product with a constant 1/seq row). */
export function meanToken(x: Tensor): Tensor {
  const [batch, seq, dim] = x.shape as [number, number, number];
  const selector = tensorFrom(x.runtime, new Float32Array(seq).fill(1 / seq), [1, seq]);
  return reshape(matmul(selector, x), [batch, dim]);
}

export function firstToken(x: Tensor): Tensor {
  const [batch, seq, dim] = x.shape as [number, number, number];
  const selector = tensorFrom(x.runtime, oneHot(seq, 0), [1, seq]);
  return reshape(matmul(selector, x), [batch, dim]);
}

/**
 * [cls; x]: x [batch, n, dim] with the row `cls` [1, dim] put in front of every sequence → [batch, n+1, dim].
 * Built from exact 0/1 products: a shift matrix moves x down one row, e₀ ⊗ cls fills row 0.
 */
export function prependRow(cls: Tensor, x: Tensor): Tensor {
  const n = x.shape[1]!;
  const rt = x.runtime;
  const shift = new Float32Array((n + 1) * n);
  for (let i = 0; i < n; i++) shift[(i + 1) * n + i] = 1;
  const shifted = matmul(tensorFrom(rt, shift, [n + 1, n]), x);
  const clsRow = matmul(tensorFrom(rt, oneHot(n + 1, 0), [n + 1, 1]), cls);
  return add(shifted, clsRow);
}

function oneHot(length: number, index: number): Float32Array {
  const v = new Float32Array(length);
  v[index] = 1;
  return v;
}

export interface EncoderOutput {
  /** The last block's output (ViT: after the final LayerNorm) [batch, tokens, hidden]. */
  hidden: Tensor;
  /** The projection head's output [batch, embedDim]. */
  embedding: Tensor;
}

/** What the ViT and BERT encoders share: a block stack, a dropout stream, freezing of the lower layers. */
export abstract class TransformerEncoder extends Module {
  abstract readonly encoder: BlockStack;
  /** Parameter-name prefixes of the embedding layers (frozen together with the lowest blocks). */
  protected abstract readonly embeddingPrefixes: readonly string[];
  /** Dropout masks' state (saved in checkpoints). */
  readonly dropoutStream: DropoutStream;

  constructor(seed: number) {
    super();
    this.dropoutStream = new DropoutStream(seed);
  }

  /**
   * Freezes the embeddings and the first `layers` blocks (0: nothing): they stop requiring gradients, so
   * backward leaves them alone and trainableParameters() — what the optimizer should get — omits them.
   */
  freeze(layers: number): void {
    const count = this.encoder.blocks.length;
    if (!Number.isInteger(layers) || layers < 0 || layers > count)
      throw new Error(`freeze: layers must be an integer in [0, ${count}], got ${layers}`);
    if (layers === 0) return;
    const prefixes = [...this.embeddingPrefixes, ...Array.from({ length: layers }, (_, i) => `encoder.${i}.`)];
    for (const [name, p] of this.namedParameters())
      if (prefixes.some((prefix) => name.startsWith(prefix))) p.requiresGrad = false;
  }

  trainableParameters(): Tensor[] {
    return this.parameters().filter((p) => p.requiresGrad);
  }
}
