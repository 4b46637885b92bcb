// Row softmax and log-softmax over the last axis: forward kernel (shaders/softmax.wgsl), backward kernel
// (shaders/softmax_backward.wgsl, from the saved output), the differentiable op, and the float64 reference.
import { record } from '../tensor/tape.js';
import { defineKernel } from '../gpu/runtime.js';
import type { HostTensor } from '../tensor/host.js';
import { Tensor } from '../tensor/tensor.js';
import { rowLayout, rowsOf } from './row-layout.js';

const softmaxDef = defineKernel({ shader: 'softmax' });
const softmaxBackwardDef = defineKernel({ shader: 'softmax_backward' });

function softmaxKernel(x: Tensor, log: boolean): Tensor {
  const { rows, n } = rowsOf(x, log ? 'logSoftmax' : 'softmax');
  const rt = x.runtime;
  const out = new Tensor(rt, x.shape);
  const layout = rowLayout(rt, rows, n);
  const kernel = rt.kernelOf(softmaxDef, { ...layout.constants, LOG: log ? 1 : 0 });
  rt.dispatch(kernel, { x_in: x, out }, { rows, n }, layout.grid);
  return out;
}

function softmaxBackwardKernel(y: Tensor, dy: Tensor, log: boolean): Tensor {
  const { rows, n } = rowsOf(y, 'softmax backward');
  const rt = y.runtime;
  const dx = new Tensor(rt, y.shape);
  const layout = rowLayout(rt, rows, n);
  const kernel = rt.kernelOf(softmaxBackwardDef, { ...layout.constants, LOG: log ? 1 : 0 });
  rt.dispatch(kernel, { y, dy, dx }, { rows, n }, layout.grid);
  return dx;
}

export function softmax(x: Tensor): Tensor {
  const y = softmaxKernel(x, false);
  return record('softmax', y, [x], (g) => [softmaxBackwardKernel(y, g, false)]);
}

export function logSoftmax(x: Tensor): Tensor {
  const y = softmaxKernel(x, true);
  return record('logSoftmax', y, [x], (g) => [softmaxBackwardKernel(y, g, true)]);
}

export function softmaxRef(x: HostTensor, log = false): HostTensor {
  const n = x.shape.at(-1)!;
  const data = new Float64Array(x.data.length);
  for (let base = 0; base < data.length; base += n) {
    const row = x.data.subarray(base, base + n);
    const m = Math.max(...row);
    const logSum = Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    row.forEach((v, j) => (data[base + j] = log ? v - m - logSum : Math.exp(v - m - logSum)));
  }
  return { shape: [...x.shape], data };
}
