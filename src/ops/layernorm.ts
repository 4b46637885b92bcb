// Layer norm over the last axis with affine gamma, beta: one fused forward kernel that saves the row mean
// and rstd (shaders/layernorm.wgsl), one fused backward giving dx, dgamma and dbeta in a single dispatch
// (shaders/layernorm_backward.wgsl), the differentiable op and the float64 reference.
import { type GradContext, record } from '../tensor/tape.js';
import { defineKernel, grid1d } from '../gpu/runtime.js';
import type { HostTensor } from '../tensor/host.js';
import { Tensor } from '../tensor/tensor.js';
import { ROWS, rowLayout, rowsOf, WORKGROUP_REDUCE } from './wgsl-lib.js';

const layerNormDef = defineKernel({ shader: 'layernorm', template: { WORKGROUP_REDUCE, ROWS } });
const layerNormBackwardDef = defineKernel({ shader: 'layernorm_backward', template: { WORKGROUP_REDUCE, ROWS } });

export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps = 1e-5): Tensor {
  const { rows, n } = rowsOf(x, 'layerNorm');
  if (gamma.size !== n || beta.size !== n)
    throw new Error(`layerNorm: gamma/beta of ${gamma.size}/${beta.size} values for rows of ${n}`);
  const rt = x.runtime;
  const layout = rowLayout(rt, rows, n);
  const y = new Tensor(rt, x.shape);
  const mean = new Tensor(rt, [rows]);
  const rstd = new Tensor(rt, [rows]);
  const forward = rt.kernelOf(layerNormDef, layout.constants);
  rt.dispatch(forward, { x_in: x, gamma, beta, y, mean, rstd }, { rows, n, eps }, layout.grid);
  const rule = (dy: Tensor, { into, takePending }: GradContext) => {
    const dx = new Tensor(rt, x.shape);
    // The gradient x already has from its other uses is added as dx is stored.
    const pending = x.requiresGrad ? takePending(0) : null;
    const dgamma = into[1] ?? new Tensor(rt, gamma.shape);
    const dbeta = into[2] ?? new Tensor(rt, beta.shape);
    const { WG, ROW_THREADS } = layout.constants;
    const rowGroups = Math.ceil(rows / (WG / ROW_THREADS));
    const backward = rt.kernelOf(layerNormBackwardDef, { ...layout.constants, ADDEND: pending ? 1 : 0 });
    // Row workgroups first, then one per WG columns of dgamma/dbeta.
    rt.dispatch(
      backward,
      { x_in: x, gamma, mean, rstd, dy, dx, dgamma, dbeta, addend: pending ?? dy },
      { rows, n, row_groups: rowGroups },
      grid1d(rowGroups + Math.ceil(n / WG), 1),
    );
    return [dx, dgamma, dbeta];
  };
  return record('layerNorm', y, [x, gamma, beta], rule, [mean, rstd]);
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
