// Basic layers: Linear (weights stored [out, in] like PyTorch), LayerNorm, Embedding, Dropout.
import { dropout, embedding, layerNorm } from '../autograd/index.js';
import type { Runtime } from '../gpu/runtime.js';
import { hash32, type Rng } from '../util/rng.js';
import type { Tensor } from '../tensor/tensor.js';
import { constantParameter, Module, uniformParameter } from './module.js';
import { linearOp } from '../ops/matmul.js';

export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(
    rt: Runtime,
    readonly inFeatures: number,
    readonly outFeatures: number,
    rng: Rng,
    withBias = true,
  ) {
    super();
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = this.addParameter('weight', uniformParameter(rt, [outFeatures, inFeatures], bound, rng));
    this.bias = withBias ? this.addParameter('bias', uniformParameter(rt, [outFeatures], bound, rng)) : null;
  }

  /** x [..., in] → [..., out]. */
  forward(x: Tensor): Tensor {
    if (x.shape.at(-1) !== this.inFeatures)
      throw new Error(`Linear(${this.inFeatures}→${this.outFeatures}): input [${x.shape.join(', ')}]`);
    return linearOp(x, this.weight, this.bias);
  }
}

export class LayerNorm extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;

  constructor(
    rt: Runtime,
    dim: number,
    readonly eps = 1e-5,
  ) {
    super();
    this.weight = this.addParameter('weight', constantParameter(rt, [dim], 1));
    this.bias = this.addParameter('bias', constantParameter(rt, [dim], 0));
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, this.weight, this.bias, this.eps);
  }
}

export class Embedding extends Module {
  readonly weight: Tensor;

  constructor(rt: Runtime, vocab: number, dim: number, rng: Rng) {
    super();
    // PyTorch draws N(0, 1); a uniform of the same variance keeps this dependency-free.
    this.weight = this.addParameter('weight', uniformParameter(rt, [vocab, dim], Math.sqrt(3), rng));
  }

  forward(ids: Tensor): Tensor {
    return embedding(this.weight, ids);
  }
}

/** Dropout in training mode (a fresh mask per call, reproducible from the seed); identity in eval mode. */
export class Dropout extends Module {
  private calls = 0;

  constructor(
    readonly p: number,
    readonly seed = 0,
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    return dropout(x, this.p, hash32(this.seed, this.calls++));
  }
}
