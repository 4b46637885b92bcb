// Divergence check at log intervals: a NaN or infinite loss, gradient norm or parameter norm stops training.
// The norms are reduced on the GPU (AdamW.recordNorms) and read back only when the loss is, so the check adds
// no per-step sync. A diverged step is neither logged nor checkpointed.
import type { AdamW } from '../ops/optim.js';

export class DivergenceError extends Error {
  constructor(
    readonly step: number,
    readonly problems: string,
  ) {
    super(`training diverged at step ${step}: ${problems} (try a lower --lr)`);
  }
}

/** Throws DivergenceError if the step's loss, gradient norm or parameter norm is not finite. */
export async function checkDivergence(optimizer: AdamW, loss: number, step: number): Promise<void> {
  const { gradNorm, paramNorm } = optimizer.recordNorms();
  const values: [string, number][] = [
    ['loss', loss],
    ['gradient norm', (await gradNorm.read())[0]!],
    ['parameter norm', (await paramNorm.read())[0]!],
  ];
  const bad = values.filter(([, v]) => !Number.isFinite(v));
  if (bad.length) throw new DivergenceError(step, bad.map(([name, v]) => `${name} ${v}`).join(', '));
}
