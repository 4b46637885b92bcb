// A transformer block's feed-forward sub-layer, fused: y = gelu(x·w1ᵀ + b1)·w2ᵀ + b2 in two products, GELU
// applied in the first one's store (which also keeps GELU's input for the backward); its backward applies
// gelu' in the store of the second product's input gradient. Two dispatches forward instead of three, six
// backward instead of seven, with the values linear, gelu and linear store apart (tested against them and the
// float64 reference).
import { type GradContext, record } from '../tensor/tape.js';
import type { HostTensor } from '../tensor/host.js';
import { Tensor } from '../tensor/tensor.js';
import { type GeluForm, geluRef } from './activation.js';
import { linear, linearBackward, linearRef } from './matmul.js';

/** x [..., in] → [..., out] through a hidden layer of w1's rows (w1 [hidden, in], w2 [out, hidden]). */
export function geluMlp(x: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor, form: GeluForm = 'erf'): Tensor {
  const rt = x.runtime;
  const hiddenShape = [...x.shape.slice(0, -1), w1.shape[0] ?? 0];
  const pre = new Tensor(rt, hiddenShape);
  const hidden = linear(x, w1, b1, { pre, form });
  const out = linear(hidden, w2, b2);
  const rule = (g: Tensor, { into, takePending }: GradContext) => {
    const needFirst = { x: x.requiresGrad, weight: w1.requiresGrad, bias: b1.requiresGrad };
    const needHidden = needFirst.x || needFirst.weight || needFirst.bias;
    const second = linearBackward(
      g,
      hidden,
      w2,
      b2,
      { x: needHidden, weight: w2.requiresGrad, bias: b2.requiresGrad },
      {
        geluOfX: { pre, form },
        weightInto: into[3],
        biasInto: into[4],
      },
    );
    // hidden's gradient is already through gelu' (the first product's output gradient).
    const dPre = second.dx;
    const first = dPre
      ? linearBackward(dPre, x, w1, b1, needFirst, {
          pending: x.requiresGrad ? takePending(0) : null,
          weightInto: into[1],
          biasInto: into[2],
        })
      : { dx: null, dweight: null, dbias: null };
    dPre?.dispose();
    return [first.dx, first.dweight, first.dbias, second.dweight, second.dbias];
  };
  return record('geluMlp', out, [x, w1, b1, w2, b2], rule, [pre, hidden]);
}

export function geluMlpRef(
  x: HostTensor,
  w1: HostTensor,
  b1: HostTensor,
  w2: HostTensor,
  b2: HostTensor,
  form: GeluForm = 'erf',
): HostTensor {
  return linearRef(geluRef(linearRef(x, w1, b1), form), w2, b2);
}
