// Multi-head self-attention and the pre-LN transformer block. Attention runs either as the fused kernel
// (src/ops/attention.ts, made differentiable here with its backward launcher) or composed from
// differentiable ops (matmul, softmax, permute), which serves as the cross-check and the fallback.
import { add, gelu, matmul, permute, record, reshape, scale, softmax } from '../autograd/index.js';
import type { Runtime } from '../gpu/runtime.js';
import { attentionBackward, attentionForward } from '../ops/attention.js';
import type { Tensor } from '../tensor/tensor.js';
import { Dropout, LayerNorm, Linear } from './layers.js';
import { Module, Rng } from './module.js';

/** Differentiable fused attention over [batch, seq, heads·headDim] inputs. */
export function fusedSelfAttention(q: Tensor, k: Tensor, v: Tensor, heads: number): Tensor {
  const opts = { layout: 'bshd' as const, heads };
  const { out, lse } = attentionForward(q, k, v, opts);
  return record(
    'attention',
    out,
    [q, k, v],
    (g) => {
      const { dq, dk, dv } = attentionBackward(q, k, v, out, lse, g, opts);
      return [dq, dk, dv];
    },
    [lse],
  );
}

/** softmax(q·kᵀ/√d)·v from differentiable ops, same layout as fusedSelfAttention. */
export function composedSelfAttention(q: Tensor, k: Tensor, v: Tensor, heads: number): Tensor {
  const [batch, seq, dim] = q.shape as [number, number, number];
  const headDim = dim / heads;
  const split = (t: Tensor) => permute(reshape(t, [batch, seq, heads, headDim]), [0, 2, 1, 3]);
  const scores = scale(matmul(split(q), split(k), { transB: true }), 1 / Math.sqrt(headDim));
  const context = matmul(softmax(scores), split(v));
  return reshape(permute(context, [0, 2, 1, 3]), [batch, seq, dim]);
}

export class MultiHeadSelfAttention extends Module {
  readonly q: Linear;
  readonly k: Linear;
  readonly v: Linear;
  readonly out: Linear;

  constructor(rt: Runtime, readonly dim: number, readonly heads: number, rng: Rng, readonly fused = true) {
    super();
    if (dim % heads !== 0) throw new Error(`attention: dim ${dim} is not a multiple of ${heads} heads`);
    this.q = this.addModule('q', new Linear(rt, dim, dim, rng));
    this.k = this.addModule('k', new Linear(rt, dim, dim, rng));
    this.v = this.addModule('v', new Linear(rt, dim, dim, rng));
    this.out = this.addModule('out', new Linear(rt, dim, dim, rng));
  }

  /** x [batch, seq, dim] → [batch, seq, dim]. */
  forward(x: Tensor): Tensor {
    const attend = this.fused ? fusedSelfAttention : composedSelfAttention;
    return this.out.forward(attend(this.q.forward(x), this.k.forward(x), this.v.forward(x), this.heads));
  }
}

export interface TransformerBlockOptions {
  heads: number;
  mlpRatio?: number;
  dropout?: number;
  fusedAttention?: boolean;
  seed?: number;
}

/** Pre-LN block: h = x + drop(attn(ln1(x))); y = h + drop(fc2(gelu(fc1(ln2(h))))). */
export class TransformerBlock extends Module {
  readonly ln1: LayerNorm;
  readonly attn: MultiHeadSelfAttention;
  readonly ln2: LayerNorm;
  readonly fc1: Linear;
  readonly fc2: Linear;
  private readonly drop: Dropout;

  constructor(rt: Runtime, dim: number, options: TransformerBlockOptions) {
    super();
    const rng = new Rng(options.seed ?? 0);
    const hidden = dim * (options.mlpRatio ?? 4);
    this.ln1 = this.addModule('ln1', new LayerNorm(rt, dim));
    this.attn = this.addModule('attn', new MultiHeadSelfAttention(rt, dim, options.heads, rng, options.fusedAttention ?? true));
    this.ln2 = this.addModule('ln2', new LayerNorm(rt, dim));
    this.fc1 = this.addModule('fc1', new Linear(rt, dim, hidden, rng));
    this.fc2 = this.addModule('fc2', new Linear(rt, hidden, dim, rng));
    this.drop = this.addModule('drop', new Dropout(options.dropout ?? 0, options.seed ?? 0));
  }

  forward(x: Tensor): Tensor {
    const h = add(x, this.drop.forward(this.attn.forward(this.ln1.forward(x))));
    return add(h, this.drop.forward(this.fc2.forward(gelu(this.fc1.forward(this.ln2.forward(h))))));
  }
}
