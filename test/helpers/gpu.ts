// Shared by the GPU tests: one runtime per test file on the adapter MEDTRIM_BACKEND names (the vitest
// projects `gles` and `vulkan` set it). A missing adapter fails the test run; it never skips.
import { afterAll, expect } from 'vitest';
import { acquireGpu } from '../../src/gpu/device.js';
import { Runtime } from '../../src/gpu/runtime.js';
import type { HostTensor } from '../../src/tensor/host.js';
export { randomData, unitRows } from './random.js';

let runtime: Promise<Runtime> | null = null;

export function gpuRuntime(): Promise<Runtime> {
  if (!runtime) {
    runtime = acquireGpu().then((gpu) => new Runtime(gpu));
    afterAll(async () => (await runtime!).gpu.release());
  }
  return runtime;
}

/** Asserts |gpu - ref| <= atol + rtol·|ref| elementwise, reporting the worst element. */
export function expectClose(
  actual: ArrayLike<number>,
  expected: HostTensor | ArrayLike<number>,
  rtol = 1e-5,
  atol = 1e-6,
): void {
  const ref = 'data' in (expected as HostTensor) ? (expected as HostTensor).data : (expected as ArrayLike<number>);
  expect(actual.length).toBe(ref.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < ref.length; i++) {
    const a = actual[i]!;
    const e = ref[i]!;
    const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    const bad = Number.isNaN(a) !== Number.isNaN(e) || excess > 0;
    if (bad && (worst < 0 || excess > worstExcess)) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    expect.fail(
      `element ${worst} of ${ref.length}: got ${actual[worst]}, expected ${ref[worst]} (rtol ${rtol}, atol ${atol})`,
    );
  }
}
