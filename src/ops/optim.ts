// AdamW for all parameters in one fused dispatch (shaders/adamw.wgsl), with clipping by global gradient
// norm computed on the GPU (shaders/sumsq_partials.wgsl, then shaders/grad_norm.wgsl), and the float64
// reference. Parameters keep their own buffers (kernels bind whole buffers), so each step packs parameters
// and gradients into flat buffers (one small copy dispatch per tensor, shaders/copy_range.wgsl), updates
// them all at once together with the flat moment buffers m and v, and unpacks the parameters. The same two
// reduction kernels give the norms a divergence check reads back at log intervals (recordNorms).
import { grid1d } from '../gpu/runtime.js';
import { Tensor } from '../tensor/tensor.js';
import { WORKGROUP_REDUCE } from './wgsl-lib.js';

const WG = 64;
/** Elements each AdamW invocation updates: fewer, fuller workgroups (per-workgroup cost dominates on CPU adapters). */
const ADAMW_PER_INVOCATION = 4;

export interface AdamWOptions {
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** Clip gradients to this global L2 norm before the update (0 or absent: no clipping). */
  maxGradNorm?: number;
}

export class AdamW {
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly maxGradNorm: number;
  /** Steps taken (t in the bias corrections). */
  steps = 0;
  private readonly offsets: number[] = [];
  private readonly flatParams: Tensor;
  private readonly flatGrads: Tensor;
  private readonly m: Tensor;
  private readonly v: Tensor;
  private readonly partials: Tensor;
  /** ‖g‖ before clipping, as of the last step (read it back only when you need it). */
  readonly gradNorm: Tensor;
  /** ‖parameters‖ as of the last recordNorms. */
  private readonly paramNorm: Tensor;

  constructor(
    readonly params: readonly Tensor[],
    options: AdamWOptions = {},
  ) {
    if (params.length === 0) throw new Error('AdamW: no parameters given');
    ({ lr: this.lr = 1e-3, beta1: this.beta1 = 0.9, beta2: this.beta2 = 0.999, eps: this.eps = 1e-8 } = options);
    this.weightDecay = options.weightDecay ?? 1e-2;
    this.maxGradNorm = options.maxGradNorm ?? 0;
    let total = 0;
    for (const p of params) {
      if (p.dtype !== 'f32') throw new Error(`AdamW: parameter ${p} is not f32`);
      this.offsets.push(total);
      total += p.size;
    }
    const rt = params[0]!.runtime;
    const state = (n: number) => {
      const t = new Tensor(rt, [n]).keep();
      rt.clear(t);
      return t;
    };
    [this.flatParams, this.flatGrads, this.m, this.v] = [state(total), state(total), state(total), state(total)];
    this.partials = state(WG);
    this.gradNorm = state(1);
    this.paramNorm = state(1);
  }

  /** Records ‖x‖ of a flat buffer into `out` (sum of squares in WG partials, then one workgroup folds them). */
  private recordNorm(x: Tensor, out: Tensor): void {
    const rt = x.runtime;
    const count = x.size;
    const numPartials = Math.min(WG, Math.ceil(count / WG));
    const sumsq = rt.kernel({ shader: 'sumsq_partials', template: { WORKGROUP_REDUCE }, constants: { WG } });
    rt.dispatch(sumsq, { g: x, partials: this.partials }, { count }, [numPartials]);
    const norm = rt.kernel({ shader: 'grad_norm', template: { WORKGROUP_REDUCE }, constants: { WG } });
    rt.dispatch(norm, { partials: this.partials, grad_norm: out }, { num_partials: numPartials }, [1]);
  }

  /**
   * Records, after a step, the global norms of that step's gradient and of the updated parameters (kept
   * [1]-tensors owned by the optimizer; read them back at log intervals only). A NaN or infinity anywhere
   * makes its norm non-finite. With clipping, step() has already computed ‖g‖; without it, it is computed here.
   */
  recordNorms(): { gradNorm: Tensor; paramNorm: Tensor } {
    if (!(this.maxGradNorm > 0)) this.recordNorm(this.flatGrads, this.gradNorm);
    this.recordNorm(this.flatParams, this.paramNorm);
    return { gradNorm: this.gradNorm, paramNorm: this.paramNorm };
  }

  private copyRange(src: Tensor, dst: Tensor, count: number, srcOffset: number, dstOffset: number, scale = 1): void {
    const rt = src.runtime;
    const kernel = rt.kernel({ shader: 'copy_range', constants: { WG } });
    rt.dispatch(kernel, { src, dst }, { count, src_offset: srcOffset, dst_offset: dstOffset, scale }, grid1d(count, WG));
  }

  /** One update from the parameters' current .grad (a parameter without one is updated with a zero gradient). */
  step(): void {
    const rt = this.flatParams.runtime;
    this.params.forEach((p, i) => {
      this.copyRange(p, this.flatParams, p.size, 0, this.offsets[i]!);
      this.copyRange(p.grad ?? p, this.flatGrads, p.size, 0, this.offsets[i]!, p.grad ? 1 : 0);
    });
    const count = this.flatParams.size;
    const clip = this.maxGradNorm > 0;
    if (clip) {
      this.recordNorm(this.flatGrads, this.gradNorm);
    }
    this.steps++;
    const adamw = rt.kernel({ shader: 'adamw', constants: { WG, PER_INVOCATION: ADAMW_PER_INVOCATION } });
    rt.dispatch(
      adamw,
      { param: this.flatParams, grad: this.flatGrads, m: this.m, v: this.v, grad_norm: this.gradNorm },
      {
        count,
        clip: clip ? 1 : 0,
        lr: this.lr,
        beta1: this.beta1,
        beta2: this.beta2,
        eps: this.eps,
        weight_decay: this.weightDecay,
        bc1: 1 - this.beta1 ** this.steps,
        sqrt_bc2: Math.sqrt(1 - this.beta2 ** this.steps),
        max_norm: this.maxGradNorm,
      },
      grid1d(count, WG * ADAMW_PER_INVOCATION),
    );
    this.params.forEach((p, i) => this.copyRange(this.flatParams, p, p.size, this.offsets[i]!, 0));
  }

  /** Drops every parameter's gradient (the next backward starts from zero). */
  zeroGrad(): void {
    for (const p of this.params) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  dispose(): void {
    for (const t of [this.flatParams, this.flatGrads, this.m, this.v, this.partials, this.gradNorm, this.paramNorm]) t.dispose();
  }
}

export interface AdamWRefState {
  m: Float64Array;
  v: Float64Array;
  steps: number;
}

/** Float64 AdamW step on one flat parameter vector (mutates param and state); returns ‖g‖ before clipping. */
export function adamwRef(param: Float64Array, grad: Float64Array, state: AdamWRefState, o: Required<AdamWOptions>): number {
  const norm = Math.sqrt(grad.reduce((s, g) => s + g * g, 0));
  const clip = o.maxGradNorm > 0 ? Math.min(1, o.maxGradNorm / (norm + 1e-6)) : 1;
  state.steps++;
  const bc1 = 1 - o.beta1 ** state.steps;
  const bc2 = 1 - o.beta2 ** state.steps;
  for (let i = 0; i < param.length; i++) {
    const g = grad[i]! * clip;
    state.m[i] = o.beta1 * state.m[i]! + (1 - o.beta1) * g;
    state.v[i] = o.beta2 * state.v[i]! + (1 - o.beta2) * g * g;
    param[i] = param[i]! * (1 - o.lr * o.weightDecay) - ((o.lr / bc1) * state.m[i]!) / (Math.sqrt(state.v[i]!) / Math.sqrt(bc2) + o.eps);
  }
  return norm;
}
