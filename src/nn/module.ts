// Modules: named parameters (leaf tensors that require gradients, kept out of tidy scopes), child modules,
// and a train/eval flag that children follow (dropout reads it).
import { requireGrad } from '../tensor/tape.js';
import type { Runtime } from '../gpu/runtime.js';
import type { Rng } from '../util/rng.js';
import { tensorFrom, type Shape, type Tensor } from '../tensor/tensor.js';

export class Module {
  training = true;
  private readonly ownParameters = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();

  protected addParameter(name: string, t: Tensor): Tensor {
    if (this.ownParameters.has(name) || this.children.has(name))
      throw new Error(`module already has a member named '${name}'`);
    this.ownParameters.set(name, requireGrad(t.keep()));
    return t;
  }

  protected addModule<M extends Module>(name: string, m: M): M {
    if (this.ownParameters.has(name) || this.children.has(name))
      throw new Error(`module already has a member named '${name}'`);
    this.children.set(name, m);
    return m;
  }

  /** Every parameter with its dotted path (e.g. `attn.q.weight`), in registration order. */
  *namedParameters(prefix = ''): Generator<[string, Tensor]> {
    for (const [name, t] of this.ownParameters) yield [prefix + name, t];
    for (const [name, child] of this.children) yield* child.namedParameters(`${prefix}${name}.`);
  }

  parameters(): Tensor[] {
    return [...this.namedParameters()].map(([, t]) => t);
  }

  train(on = true): this {
    this.training = on;
    for (const child of this.children.values()) child.train(on);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  zeroGrad(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /** Overwrites parameters by name (all must be given, with the right sizes). */
  loadParameters(values: Record<string, ArrayLike<number>>): void {
    for (const [name, t] of this.namedParameters()) {
      const v = values[name];
      if (!v) throw new Error(`loadParameters: no values for parameter '${name}'`);
      if (v.length !== t.size) throw new Error(`loadParameters: '${name}' needs ${t.size} values, got ${v.length}`);
      t.runtime.upload(t, Float32Array.from(v));
    }
  }

  dispose(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.dispose();
    }
  }
}

/** Uniform(−bound, bound) values from a seeded generator (PyTorch's default Linear initialisation). */
export function uniformParameter(rt: Runtime, shape: Shape, bound: number, rng: Rng): Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  return tensorFrom(
    rt,
    Array.from({ length: n }, () => rng.uniform(-bound, bound)),
    shape,
  );
}

export function constantParameter(rt: Runtime, shape: Shape, value: number): Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  return tensorFrom(rt, new Array<number>(n).fill(value), shape);
}
