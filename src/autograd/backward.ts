// Reverse-mode autograd: backward() walks the graph the tape (src/tensor/tape.ts) recorded from a root in
// reverse topological order, sums the gradients reaching each tensor, runs each rule once, releases the rule's
// saved intermediates right after it ran, reduces gradients of broadcast inputs back to the input's shape, and
// accumulates into leaf.grad. Every gradient tensor the walk makes is disposed as soon as it has been consumed;
// leaf gradients are kept out of tidy scopes (they outlive a training step's tidy until zeroGrad()), or go to the
// leaf's gradient slot when an optimizer keeps gradients in an arena. To save dispatches and copies, a rule may
// add the gradient an input already has in its own kernel's store (GradContext.takePending) instead of a separate
// add, and write a leaf's gradient straight into its slot (GradContext.into) instead of a copy after the walk.
import { binary } from '../ops/elementwise.js';
import { reduce } from '../ops/reduce.js';
import { clone, type GradNode, gradNodeOf } from '../tensor/tape.js';
import { sameShape, type Shape, type Tensor, tensorFrom } from '../tensor/tensor.js';

/** Sums a gradient of a broadcast result back to the shape of the input that was broadcast. Disposes g. */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  let cur = g;
  const step = (next: Tensor) => {
    cur.dispose();
    cur = next;
  };
  while (cur.rank > shape.length) step(reduce('sum', cur, 0, false));
  for (let axis = 0; axis < shape.length; axis++) {
    if (shape[axis] === 1 && cur.shape[axis] !== 1) step(reduce('sum', cur, axis, true));
  }
  if (!sameShape(cur.shape, shape))
    throw new Error(`gradient of shape [${g.shape.join(', ')}] does not reduce to [${shape.join(', ')}]`);
  return cur;
}

function addInto(existing: Tensor | null | undefined, g: Tensor): Tensor {
  if (!existing) return g;
  const sum = binary('add', existing, g);
  existing.dispose();
  g.dispose();
  return sum;
}

/** Tensors reachable from root through recorded nodes, each after every tensor computed from it. */
function reverseTopological(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>([root]);
  const stack: { t: Tensor; next: number }[] = [{ t: root, next: 0 }];
  while (stack.length) {
    const top = stack.at(-1)!;
    const inputs = gradNodeOf(top.t)?.inputs ?? [];
    if (top.next < inputs.length) {
      const input = inputs[top.next++]!;
      if (input.requiresGrad && !visited.has(input)) {
        visited.add(input);
        stack.push({ t: input, next: 0 });
      }
    } else {
      order.push(stack.pop()!.t);
    }
  }
  return order.reverse();
}

/**
 * Runs one node's rule and files the input gradients into `grads`. Consumes gradOut. A leaf input in `direct`
 * has its gradient slot offered to the rule (see BackwardRule).
 */
function propagate(node: GradNode, gradOut: Tensor, grads: Map<Tensor, Tensor>, direct: Set<Tensor>): void {
  if (!node.rule)
    throw new Error(`backward through '${node.name}' a second time: a graph is freed by the backward that used it`);
  const into = node.inputs.map((t) => (direct.has(t) ? t.gradSlot : null));
  // Pending sums handed to the rule, by input index (an input given twice to this node is never offered).
  const folded = new Map<number, Tensor>();
  const takePending = (i: number): Tensor | null => {
    const input = node.inputs[i];
    const pending = input && grads.get(input);
    if (!pending || node.inputs.indexOf(input) !== node.inputs.lastIndexOf(input)) return null;
    folded.set(i, pending);
    return pending;
  };
  const inputGrads = node.rule(gradOut, { into, takePending });
  node.rule = null;
  for (const t of node.saved.splice(0)) t.dispose();
  const taken = new Set<Tensor>();
  const owned = inputGrads.map((gi, i) => {
    if (!gi || !node.inputs[i]!.requiresGrad) return null;
    if (taken.has(gi)) return clone(gi);
    taken.add(gi);
    return gi;
  });
  for (const gi of new Set([gradOut, ...inputGrads])) if (gi && !taken.has(gi)) gi.dispose();
  owned.forEach((gi, i) => {
    const input = node.inputs[i]!;
    const pending = folded.get(i);
    if (pending && gi) {
      // The rule added the pending sum into gi.
      if (!sameShape(gi.shape, input.shape))
        throw new Error(`backward through '${node.name}': a folded gradient must have its input's shape`);
      if (pending !== gi) pending.dispose();
      grads.set(input, gi);
    } else if (gi) grads.set(input, addInto(grads.get(input), sumToShape(gi, input.shape)));
  });
}

/**
 * Backpropagates from `root`. `gradOut` (default: 1 for a one-element root) is the gradient of the final
 * objective with respect to root; it is copied, never consumed.
 */
export function backward(root: Tensor, gradOut?: Tensor): void {
  if (!root.requiresGrad)
    throw new Error(`backward: ${root} does not require a gradient (no input had requiresGrad, or grad mode was off)`);
  if (gradOut && !sameShape(gradOut.shape, root.shape)) {
    throw new Error(
      `backward: gradient of shape [${gradOut.shape.join(', ')}] given for a root of shape [${root.shape.join(', ')}]`,
    );
  }
  const rootNode = gradNodeOf(root);
  if (rootNode && !rootNode.rule)
    throw new Error(`backward through '${rootNode.name}' a second time: a graph is freed by the backward that used it`);
  if (!gradOut && root.size !== 1)
    throw new Error(`backward: a root of shape [${root.shape.join(', ')}] needs an explicit gradOut`);
  const grads = new Map<Tensor, Tensor>([[root, gradOut ? clone(gradOut) : tensorFrom(root.runtime, [1], root.shape)]]);
  const slotCopies: [Tensor, Tensor][] = [];
  const order = reverseTopological(root);
  const direct = directSlotLeaves(order);
  for (const t of order) {
    const g = grads.get(t);
    if (!g) continue;
    grads.delete(t);
    const node = gradNodeOf(t);
    if (node) propagate(node, g, grads, direct);
    else t.grad = accumulateLeafGrad(t, g, slotCopies);
  }
  // Together at the end: each copy ends the compute pass it interrupts, and a pass costs the CPU adapters.
  for (const [total, slot] of slotCopies) {
    total.runtime.copy(total, slot);
    total.dispose();
  }
}

/**
 * Leaves whose gradient one rule can write straight into their slot: they have a gradient slot, no gradient
 * yet, and exactly one input edge in the graph (so nothing is summed into them). Every other leaf's gradient is
 * made apart and copied into its slot after the walk.
 */
function directSlotLeaves(order: readonly Tensor[]): Set<Tensor> {
  const edges = new Map<Tensor, number>();
  for (const t of order) {
    for (const input of gradNodeOf(t)?.inputs ?? []) {
      if (input.gradSlot && !input.grad && input.requiresGrad && !gradNodeOf(input))
        edges.set(input, (edges.get(input) ?? 0) + 1);
    }
  }
  const direct = new Set<Tensor>();
  for (const [leaf, count] of edges) if (count === 1) direct.add(leaf);
  return direct;
}

/**
 * The leaf's gradient after adding g (consumed): a kept tensor of its own, or, when an optimizer gave the leaf a
 * gradient slot in its arena, that slot — the sum goes to `slotCopies`, copied in (and disposed) once the walk
 * is done; the slot itself is never disposed.
 */
function accumulateLeafGrad(t: Tensor, g: Tensor, slotCopies: [Tensor, Tensor][]): Tensor {
  const slot = t.gradSlot;
  if (!slot) return addInto(t.grad, g).keep();
  // Written into the slot by the rule that made it (directSlotLeaves).
  if (g === slot) return slot;
  const total = t.grad ? binary('add', t.grad, g) : g;
  if (t.grad && t.grad !== slot) t.grad.dispose();
  if (total !== g) g.dispose();
  slotCopies.push([total, slot]);
  return slot;
}
