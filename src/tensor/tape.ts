// The autograd tape. An op that takes tensors requiring gradients records a GradNode for its output: the
// inputs, a backward rule (output gradient → input gradients) and the intermediates it saved for that rule.
// Recording needs nothing from the ops, so every op can record; running the rules is src/autograd/backward.ts.
// The nodes live here, keyed by their output tensor, so that a tensor knows nothing of autograd's types.
import { Tensor } from './tensor.js';

/** What backward() offers a rule besides the output gradient, so it can save dispatches and copies. */
export interface GradContext {
  /**
   * Where input i's gradient goes when the rule can write it there directly (a leaf's gradient slot in an
   * optimizer's arena), or null: a rule may write into it and return it instead of a fresh tensor, and never reads it.
   */
  readonly into: readonly (Tensor | null)[];
  /**
   * The gradient other rules have already given input i, or null. A rule that calls it must add that tensor into
   * its result for input i (e.g. in the kernel's store, instead of a separate add): the result then stands for
   * the whole sum. The rule does not own it (backward() disposes it).
   */
  takePending(i: number): Tensor | null;
}

/** Input gradients for one output gradient, in input order; null where an input needs none. */
export type BackwardRule = (gradOut: Tensor, ctx: GradContext) => (Tensor | null)[];

export interface GradNode {
  readonly name: string;
  readonly inputs: readonly Tensor[];
  /** Cleared once it has run: a second backward through the same graph is an error. */
  rule: BackwardRule | null;
  /** Intermediates made by the forward pass only for the rule; disposed right after it runs. */
  readonly saved: Tensor[];
}

const nodes = new WeakMap<Tensor, GradNode>();
let gradEnabled = true;

/** The recorded op that produced t, until backward() has run through it; null for a leaf or untracked tensor. */
export function gradNodeOf(t: Tensor): GradNode | null {
  return nodes.get(t) ?? null;
}

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn without recording anything for backward (inference, optimizer updates). */
export function noGrad<T>(fn: () => T): T {
  const before = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = before;
  }
}

/**
 * Attaches a backward rule to an op's output when grad mode is on and some input requires a gradient;
 * otherwise the saved intermediates are released at once. Returns `out`.
 */
export function record(
  name: string,
  out: Tensor,
  inputs: readonly Tensor[],
  rule: BackwardRule,
  saved: Tensor[] = [],
): Tensor {
  if (!gradEnabled || !inputs.some((t) => t.requiresGrad)) {
    for (const t of saved) t.dispose();
    return out;
  }
  out.requiresGrad = true;
  nodes.set(out, { name, inputs, rule, saved });
  return out;
}

/** The same values, cut off from the graph (shares the buffer; owns nothing). */
export function detach(x: Tensor): Tensor {
  return x.reshape(x.shape);
}

/** Marks a tensor as a leaf whose gradient backward() accumulates. */
export function requireGrad(x: Tensor): Tensor {
  if (x.dtype !== 'f32') throw new Error(`requireGrad: only f32 tensors have gradients, got ${x.dtype}`);
  x.requiresGrad = true;
  return x;
}

/** A fresh tensor with x's values (gradients handed on must be owned, never views or shared). */
export function clone(x: Tensor): Tensor {
  const out = new Tensor(x.runtime, x.shape, x.dtype);
  x.runtime.copy(x, out);
  return out;
}
