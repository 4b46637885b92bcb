// AdamW with the parameters and their gradients in two arenas — one buffer each, every tensor a view at an
// aligned byte offset — so that one dispatch updates them all in place (shaders/adamw.wgsl), with clipping
// by the global gradient norm computed on the GPU over the gradient arena (shaders/sumsq_partials.wgsl, then
// shaders/grad_norm.wgsl), and the float64 reference. The optimizer moves each parameter into its arena at
// construction; backward() writes each gradient into the parameter's slot of the gradient arena. The moments
// m and v are flat in parameter order without gaps (the checkpoint layout), so a parameter whose size leaves a
// gap before the next one's aligned offset starts a further update dispatch. The same two reduction kernels
// give the norms a divergence check reads back at log intervals (recordNorms).
import { defineKernel, grid1d } from '../gpu/runtime.js';
import { BufferArena, Tensor } from '../tensor/tensor.js';

const WG = 64;
/** Elements each AdamW invocation updates: fewer, fuller workgroups (per-workgroup cost dominates on CPU adapters). */
const ADAMW_PER_INVOCATION = 4;

const sumsqDef = defineKernel({ shader: 'sumsq_partials' });
const gradNormDef = defineKernel({ shader: 'grad_norm' });
const adamwDef = defineKernel({ shader: 'adamw' });

export interface AdamWOptions {
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** Clip gradients to this global L2 norm before the update (0 or absent: no clipping). */
  maxGradNorm?: number;
}

/** Parameters updated by one dispatch: their arena offset and moment offset differ by the same amount. */
interface UpdateRun {
  arenaOffset: number;
  momentOffset: number;
  count: number;
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
  private readonly paramArena: BufferArena;
  private readonly gradArena: BufferArena;
  /** The whole arenas as tensors (gaps between parameters stay zero). */
  private readonly arenaParams: Tensor;
  private readonly grads: Tensor;
  private readonly slots: Tensor[];
  private readonly runs: UpdateRun[] = [];
  private readonly m: Tensor;
  private readonly v: Tensor;
  private readonly partials: Tensor;
  /** ‖g‖ before clipping, as of the last step with clipping (read it back only when you need it). */
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
    const rt = params[0]!.runtime;
    if (new Set(params).size !== params.length) throw new Error('AdamW: a parameter is given twice');
    // Offsets in elements: each parameter starts at a bindable offset of the arena.
    const align = rt.storageAlign / 4;
    const arenaOffsets: number[] = [];
    let arenaSize = 0;
    let momentSize = 0;
    for (const p of params) {
      if (p.dtype !== 'f32') throw new Error(`AdamW: parameter ${p} is not f32`);
      const at = Math.ceil(arenaSize / align) * align;
      arenaOffsets.push(at);
      const run = this.runs.at(-1);
      if (run && run.arenaOffset + run.count === at) run.count += p.size;
      else this.runs.push({ arenaOffset: at, momentOffset: momentSize, count: p.size });
      arenaSize = at + p.size;
      momentSize += p.size;
    }
    const maxBinding = rt.limits.maxStorageBufferBindingSize ?? 2 ** 27;
    if (arenaSize * 4 > maxBinding) {
      throw new Error(
        `AdamW: ${momentSize} parameters take ${arenaSize * 4} bytes in one arena; this device binds at most ${maxBinding} bytes of a buffer`,
      );
    }
    this.paramArena = new BufferArena(rt, arenaSize * 4, 'parameters');
    this.gradArena = new BufferArena(rt, arenaSize * 4, 'gradients');
    this.grads = this.gradArena.slice(0, [arenaSize]).keep();
    this.arenaParams = this.paramArena.slice(0, [arenaSize]).keep();
    // Gaps between parameters stay zero in both arenas: the update leaves zeros at zero.
    rt.clear(this.arenaParams);
    rt.clear(this.grads);
    this.slots = params.map((p, i) => {
      p.moveTo(this.paramArena, arenaOffsets[i]! * 4);
      const slot = this.gradArena.slice(arenaOffsets[i]! * 4, p.shape).keep();
      p.gradSlot = slot;
      return slot;
    });
    const state = (n: number) => {
      const t = new Tensor(rt, [n]).keep();
      rt.clear(t);
      return t;
    };
    [this.m, this.v] = [state(momentSize), state(momentSize)];
    this.partials = state(WG);
    this.gradNorm = state(1);
    this.paramNorm = state(1);
  }

  /** Records ‖x‖ of a flat buffer into `out` (sum of squares in WG partials, then one workgroup folds them). */
  private recordNorm(x: Tensor, out: Tensor): void {
    const rt = x.runtime;
    const count = x.size;
    const numPartials = Math.min(WG, Math.ceil(count / WG));
    rt.dispatch(rt.kernelOf(sumsqDef, { WG }), { g: x, partials: this.partials }, { count }, [numPartials]);
    rt.dispatch(
      rt.kernelOf(gradNormDef, { WG }),
      { partials: this.partials, grad_norm: out },
      { num_partials: numPartials },
      [1],
    );
  }

  /**
   * Records, after a step, the global norms of that step's gradient and of the updated parameters (kept
   * [1]-tensors owned by the optimizer; read them back at log intervals only). A NaN or infinity anywhere
   * makes its norm non-finite. With clipping, step() has already computed ‖g‖; without it, it is computed here.
   */
  recordNorms(): { gradNorm: Tensor; paramNorm: Tensor } {
    if (!(this.maxGradNorm > 0)) this.recordNorm(this.grads, this.gradNorm);
    this.recordNorm(this.arenaParams, this.paramNorm);
    return { gradNorm: this.gradNorm, paramNorm: this.paramNorm };
  }

  /** One update from the parameters' current .grad (a parameter without one is updated with a zero gradient). */
  step(): void {
    const rt = this.m.runtime;
    this.params.forEach((p, i) => {
      const slot = this.slots[i]!;
      if (p.grad === slot) return;
      // A gradient set by hand, or none: the slot takes its values, or zeros.
      if (p.grad) rt.copy(p.grad, slot);
      else rt.clear(slot);
    });
    const clip = this.maxGradNorm > 0;
    if (clip) {
      this.recordNorm(this.grads, this.gradNorm);
    }
    this.steps++;
    const adamw = rt.kernelOf(adamwDef, { WG, PER_INVOCATION: ADAMW_PER_INVOCATION });
    for (const run of this.runs) {
      rt.dispatch(
        adamw,
        { param: this.arenaParams, grad: this.grads, m: this.m, v: this.v, grad_norm: this.gradNorm },
        {
          count: run.count,
          param_offset: run.arenaOffset,
          moment_offset: run.momentOffset,
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
        grid1d(run.count, WG * ADAMW_PER_INVOCATION),
      );
    }
  }

  /** Drops every parameter's gradient (the next backward starts from zero). */
  zeroGrad(): void {
    this.params.forEach((p, i) => {
      if (p.grad !== this.slots[i]) p.grad?.dispose();
      p.grad = null;
    });
  }

  /** Releases the optimizer's state; the parameters keep their values (their arena goes when they are disposed). */
  dispose(): void {
    this.params.forEach((p, i) => {
      const slot = this.slots[i]!;
      if (p.grad === slot) p.grad = null;
      if (p.gradSlot === slot) p.gradSlot = null;
    });
    for (const t of [this.m, this.v, this.partials, this.gradNorm, this.paramNorm]) t.dispose();
    this.gradArena.close();
    this.paramArena.close();
  }
}

export interface AdamWRefState {
  m: Float64Array;
  v: Float64Array;
  steps: number;
}

/** Float64 AdamW step on one flat parameter vector (mutates param and state); returns ‖g‖ before clipping. */
export function adamwRef(
  param: Float64Array,
  grad: Float64Array,
  state: AdamWRefState,
  o: Required<AdamWOptions>,
): number {
  const norm = Math.sqrt(grad.reduce((s, g) => s + g * g, 0));
  const clip = o.maxGradNorm > 0 ? Math.min(1, o.maxGradNorm / (norm + 1e-6)) : 1;
  state.steps++;
  const bc1 = 1 - o.beta1 ** state.steps;
  const bc2 = 1 - o.beta2 ** state.steps;
  for (let i = 0; i < param.length; i++) {
    const g = grad[i]! * clip;
    state.m[i] = o.beta1 * state.m[i]! + (1 - o.beta1) * g;
    state.v[i] = o.beta2 * state.v[i]! + (1 - o.beta2) * g * g;
    param[i] =
      param[i]! * (1 - o.lr * o.weightDecay) -
      ((o.lr / bc1) * state.m[i]!) / (Math.sqrt(state.v[i]!) / Math.sqrt(bc2) + o.eps);
  }
  return norm;
}
