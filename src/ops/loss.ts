// Cross-entropy of logits against integer class targets, averaged over rows: fused forward kernel
// (shaders/cross_entropy.wgsl: per-row loss and logsumexp), backward kernel from the saved logsumexp
// (shaders/cross_entropy_backward.wgsl), the differentiable op and the float64 reference.
import { record } from '../tensor/tape.js';
import { defineKernel, grid1d } from '../gpu/runtime.js';
import type { HostTensor } from '../tensor/host.js';
import { Tensor } from '../tensor/tensor.js';
import { reduce } from './reduce.js';
import { rowLayout, rowsOf } from './row-layout.js';

const WG = 64;
const crossEntropyDef = defineKernel({ shader: 'cross_entropy' });
const crossEntropyBackwardDef = defineKernel({ shader: 'cross_entropy_backward' });

function checkTargets(logits: Tensor, targets: Tensor, rows: number): void {
  if (targets.dtype !== 'i32') throw new Error(`crossEntropy: targets must be i32 class indices, got ${targets.dtype}`);
  if (targets.size !== rows)
    throw new Error(`crossEntropy: ${targets.size} targets for ${rows} rows of logits [${logits.shape.join(', ')}]`);
}

/** Mean over rows of −log softmax(logits)[target]; logits [..., classes], targets i32 [...] in [0, classes). */
export function crossEntropy(logits: Tensor, targets: Tensor): Tensor {
  const { rows, n } = rowsOf(logits, 'crossEntropy');
  checkTargets(logits, targets, rows);
  const rt = logits.runtime;
  const losses = new Tensor(rt, [rows]);
  const lse = new Tensor(rt, [rows]);
  const layout = rowLayout(rt, rows, n);
  const kernel = rt.kernelOf(crossEntropyDef, layout.constants);
  rt.dispatch(kernel, { x_in: logits, targets, losses, lse }, { rows, n }, layout.grid);
  const loss = reduce('mean', losses, 0);
  losses.dispose();
  const rule = (g: Tensor) => {
    const dx = new Tensor(rt, logits.shape);
    const back = rt.kernelOf(crossEntropyBackwardDef, { WG });
    rt.dispatch(
      back,
      { x_in: logits, lse, targets, g, dx },
      { count: dx.size, n, inv_rows: 1 / rows },
      grid1d(dx.size, WG),
    );
    return [dx];
  };
  return record('crossEntropy', loss, [logits], rule, [lse]);
}

export function crossEntropyRef(logits: HostTensor, targets: ArrayLike<number>): HostTensor {
  const n = logits.shape.at(-1)!;
  const rows = logits.data.length / n;
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const row = logits.data.subarray(r * n, (r + 1) * n);
    const m = Math.max(...row);
    total += m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0)) - row[targets[r]!]!;
  }
  return { shape: [], data: Float64Array.of(total / rows) };
}
