// Layer norm over the last axis with affine gamma, beta: one fused forward kernel that saves the row mean
// and rstd (shaders/layernorm.wgsl), one fused backward giving dx, dgamma and dbeta in a single dispatch
// (shaders/layernorm_backward.wgsl), the differentiable op and the float64 reference; and a transformer
// block's residual sum fused with the layer norm after it (residualLayerNorm: the same kernel with RESIDUAL).
import { type GradContext, record } from '../tensor/tape.js';
import { defineKernel, grid1d } from '../gpu/runtime.js';
import type { HostTensor } from '../tensor/host.js';
import { sameShape, Tensor } from '../tensor/tensor.js';
import { checkRate, dropout as dropoutOp, dropoutMask } from './dropout.js';
import { rowLayout, rowsOf } from './row-layout.js';

const layerNormDef = defineKernel({ shader: 'layernorm' });
const layerNormBackwardDef = defineKernel({ shader: 'layernorm_backward' });

export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps = 1e-5): Tensor {
  const { rows, n } = checkNorm(x, gamma, beta, 'layerNorm');
  const rt = x.runtime;
  const layout = rowLayout(rt, rows, n);
  const y = new Tensor(rt, x.shape);
  const mean = new Tensor(rt, [rows]);
  const rstd = new Tensor(rt, [rows]);
  const forward = rt.kernelOf(layerNormDef, layout.constants);
  // No residual: r_in is never read (x stands in) and s never written.
  rt.dispatch(
    forward,
    { x_in: x, r_in: x, gamma, beta, s: rt.placeholder, y, mean, rstd },
    { rows, n, eps, ...maskUniforms(null) },
    layout.grid,
  );
  const rule = (dy: Tensor, ctx: GradContext) => {
    const { dx, dgamma, dbeta } = layerNormBackward({ x, gamma, mean, rstd, dy, ctx, branch: null });
    return [dx, dgamma, dbeta];
  };
  return record('layerNorm', y, [x, gamma, beta], rule, [mean, rstd]);
}

function checkNorm(x: Tensor, gamma: Tensor, beta: Tensor, op: string): { rows: number; n: number } {
  const { rows, n } = rowsOf(x, op);
  if (gamma.size !== n || beta.size !== n)
    throw new Error(`${op}: gamma/beta of ${gamma.size}/${beta.size} values for rows of ${n}`);
  return { rows, n };
}

/** A residual branch's dropout: rate p, mask seed (as ops/dropout.ts draws them). */
export interface BranchDropout {
  p: number;
  seed: number;
}

interface BackwardArgs {
  x: Tensor;
  gamma: Tensor;
  mean: Tensor;
  rstd: Tensor;
  dy: Tensor;
  ctx: GradContext;
  /** Also the gradient of the branch r of x = x0 + dropout(r) (residualLayerNorm), with r's dropout. */
  branch: { dropout: BranchDropout | null } | null;
}

/**
 * dx (with the gradient x already has added in the store), dgamma and dbeta (into their slots when offered),
 * and with `branch`, d_branch: one dispatch (shaders/layernorm_backward.wgsl).
 */
function layerNormBackward(a: BackwardArgs): { dx: Tensor; dgamma: Tensor; dbeta: Tensor; dBranch: Tensor | null } {
  const { x, gamma, dy } = a;
  const { rows, n } = rowsOf(x, 'layerNorm');
  const rt = x.runtime;
  const layout = rowLayout(rt, rows, n);
  const dx = new Tensor(rt, x.shape);
  const dgamma = a.ctx.into[1] ?? new Tensor(rt, gamma.shape);
  const dbeta = a.ctx.into[2] ?? new Tensor(rt, gamma.shape);
  // The gradient x already has from its other uses is added as dx is stored.
  const pending = x.requiresGrad ? a.ctx.takePending(0) : null;
  const dBranch = a.branch ? new Tensor(rt, x.shape) : null;
  const dropout = a.branch?.dropout ?? null;
  const { WG, ROW_THREADS } = layout.constants;
  const rowGroups = Math.ceil(rows / (WG / ROW_THREADS));
  const backward = rt.kernelOf(layerNormBackwardDef, {
    ...layout.constants,
    ADDEND: pending ? 1 : 0,
    BRANCH_GRAD: dBranch ? 1 : 0,
    DROPOUT: dropout ? 1 : 0,
  });
  // Row workgroups first, then one per WG columns of dgamma/dbeta.
  rt.dispatch(
    backward,
    {
      x_in: x,
      gamma,
      mean: a.mean,
      rstd: a.rstd,
      dy,
      dx,
      dgamma,
      dbeta,
      addend: pending ?? dy,
      d_branch: dBranch ?? rt.placeholder,
    },
    { rows, n, row_groups: rowGroups, ...maskUniforms(dropout) },
    grid1d(rowGroups + Math.ceil(n / WG), 1),
  );
  return { dx, dgamma, dbeta, dBranch };
}

function maskUniforms(dropout: BranchDropout | null): { seed: number; threshold: number; scale: number } {
  return dropout ? dropoutMask(dropout.p, dropout.seed) : { seed: 0, threshold: 0, scale: 1 };
}

/**
 * The residual sum of a transformer block and the layer norm after it: sum = x + dropout(r) (no dropout when
 * `dropout` is null), normed = layerNorm(sum) — one dispatch for both (shaders/layernorm.wgsl with RESIDUAL), with
 * the same values as add, dropout and layerNorm apart. Backward: one layer-norm backward dispatch gives the
 * sum's gradient (what its other uses gave it added in), the branch's gradient through the dropout mask,
 * dgamma and dbeta; the residual add then hands them on without a dispatch of its own.
 */
export function residualLayerNorm(
  x: Tensor,
  r: Tensor,
  gamma: Tensor,
  beta: Tensor,
  eps: number,
  dropout: BranchDropout | null,
): { sum: Tensor; normed: Tensor } {
  const { rows, n } = checkNorm(x, gamma, beta, 'residualLayerNorm');
  if (!sameShape(x.shape, r.shape))
    throw new Error(`residualLayerNorm: x [${x.shape.join(', ')}] and r [${r.shape.join(', ')}] differ`);
  if (dropout) checkRate(dropout.p);
  const rt = x.runtime;
  const layout = rowLayout(rt, rows, n);
  const sum = new Tensor(rt, x.shape);
  const normed = new Tensor(rt, x.shape);
  const mean = new Tensor(rt, [rows]);
  const rstd = new Tensor(rt, [rows]);
  const forward = rt.kernelOf(layerNormDef, { ...layout.constants, RESIDUAL: 1, DROPOUT: dropout ? 1 : 0 });
  rt.dispatch(
    forward,
    { x_in: x, r_in: r, gamma, beta, s: sum, y: normed, mean, rstd },
    { rows, n, eps, ...maskUniforms(dropout) },
    layout.grid,
  );
  // The branch gradient the layer-norm rule made, for the add's rule: valid while the sum's whole gradient is
  // the dx that rule returned (its other uses ran before it and were added in; the graph's order makes it so
  // for a block's residual stream — otherwise the add's rule applies the dropout mask itself).
  const handoff: { dSum: Tensor | null; dBranch: Tensor | null } = { dSum: null, dBranch: null };
  record('residual', sum, [x, r], (g) => {
    const { dSum, dBranch } = handoff;
    handoff.dBranch = null;
    if (dBranch && dSum === g) return [g, dBranch];
    dBranch?.dispose();
    return [g, r.requiresGrad ? (dropout ? dropoutOp(g, dropout.p, dropout.seed) : g) : null];
  });
  const rule = (dy: Tensor, ctx: GradContext) => {
    const { dx, dgamma, dbeta, dBranch } = layerNormBackward({
      x: sum,
      gamma,
      mean,
      rstd,
      dy,
      ctx,
      branch: r.requiresGrad ? { dropout } : null,
    });
    handoff.dSum = dx;
    handoff.dBranch = dBranch;
    return [dx, dgamma, dbeta];
  };
  record('layerNorm', normed, [sum, gamma, beta], rule, [mean, rstd]);
  return { sum, normed };
}

export function layerNormRef(x: HostTensor, gamma: HostTensor, beta: HostTensor, eps = 1e-5): HostTensor {
  const n = x.shape.at(-1)!;
  const data = new Float64Array(x.data.length);
  for (let base = 0; base < data.length; base += n) {
    const row = x.data.subarray(base, base + n);
    const mu = row.reduce((s, v) => s + v, 0) / n;
    const variance = row.reduce((s, v) => s + (v - mu) ** 2, 0) / n;
    const rstd = 1 / Math.sqrt(variance + eps);
    row.forEach((v, j) => (data[base + j] = (v - mu) * rstd * gamma.data[j]! + beta.data[j]!));
  }
  return { shape: [...x.shape], data };
}
