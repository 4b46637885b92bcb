// The fused flash-attention kernels (src/ops/attention.ts) as a differentiable op. src/autograd does not
// export one (yet), so it is wrapped here with the autograd's record(): the forward saves the per-row
// log-sum-exp, the backward recomputes probabilities from it (FlashAttention-2), exactly as the kernels do.
import { record } from '../autograd/graph.js';
import { attentionBackward, attentionForward } from '../ops/attention.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * Multi-head scaled-dot-product attention on q, k, v [batch, seq, heads·headDim] (the Q/K/V projections'
 * layout, read in place). `keyPadding` [batch, seq] (i32 or f32): 0 masks a key out for every query.
 */
export function multiHeadAttention(q: Tensor, k: Tensor, v: Tensor, heads: number, keyPadding?: Tensor): Tensor {
  const opts = { layout: 'bshd' as const, heads, keyPadding };
  const { out, lse } = attentionForward(q, k, v, opts);
  return record(
    'multiHeadAttention',
    out,
    [q, k, v],
    (dOut) => {
      const { dq, dk, dv } = attentionBackward(q, k, v, out, lse, dOut, opts);
      return [dq, dk, dv];
    },
    [lse],
  );
}
