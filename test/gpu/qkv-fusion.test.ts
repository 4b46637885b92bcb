// The Q, K, V projections as one batched product (src/ops/qkv-attention.ts) against the three linear layers it
// replaces, on the block stacks of the tiny and small presets (ViT: pre-LN, no padding; BERT: post-LN with key
// padding, so x's gradient from the residual is pending when the projections' rule runs), dropout on, through a
// training step with AdamW: the output, the loss, x's gradient, every parameter's gradient and every parameter
// after the step must be the same bits, and the fused step must record 4 dispatches fewer per block (forward
// 3 → 1, weight gradients 3 → 1). Parameters used twice in a step get their weight gradients per projection
// (backward() sums them apart); without an optimizer's arena the fusion does not apply: same dispatches.
import { afterEach, describe, expect, it } from 'vitest';
import { backward, mul, noGrad, reshape, sum, useQkvFusion } from '../../src/autograd/index.js';
import type { Runtime } from '../../src/gpu/runtime.js';
import { BERT_PRESETS, VIT_PRESETS, type PresetName, type TransformerShape } from '../../src/models/config.js';
import { BlockStack, DropoutStream, type NormPlacement } from '../../src/models/transformer.js';
import { AdamW } from '../../src/ops/optim.js';
import { tensorFrom, tidyAsync, type Tensor } from '../../src/tensor/tensor.js';
import { requireGrad } from '../../src/tensor/tape.js';
import { Rng } from '../../src/util/rng.js';
import { gpuRuntime, randomData } from '../helpers/gpu.js';

const BATCH = 4;

interface StackCase {
  name: string;
  shape: TransformerShape;
  placement: NormPlacement;
  seq: number;
  /** Keys kept per sequence (the rest padding), or none for no mask. */
  kept: number | null;
}

function stackCases(preset: PresetName): StackCase[] {
  const vit = VIT_PRESETS[preset];
  const bert = BERT_PRESETS[preset];
  return [
    { name: `${preset} ViT`, shape: vit, placement: 'pre', seq: (vit.imageSize / vit.patchSize) ** 2 + 1, kept: null },
    { name: `${preset} BERT`, shape: bert, placement: 'post', seq: bert.maxPositions, kept: bert.maxPositions - 5 },
  ];
}

interface StepResult {
  output: Float32Array;
  loss: Float32Array;
  inputGrad: Float32Array;
  grads: Float32Array[];
  params: Float32Array[];
  dispatches: number;
}

/** Bits of a float32 array, for exact comparison. */
function bits(values: Float32Array): number[] {
  return Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));
}

/** One training step of a fresh stack (the same parameters, input and dropout masks every call). */
async function step(rt: Runtime, c: StackCase, withOptimizer: boolean, passes = 1): Promise<StepResult> {
  const stack = new BlockStack(rt, c.shape, c.placement, new Rng(7), new DropoutStream(11));
  stack.train();
  const params = stack.parameters();
  for (const p of params) requireGrad(p);
  const optimizer = withOptimizer ? new AdamW(params, { lr: 1e-3, maxGradNorm: 1 }) : null;
  const dims = [BATCH, c.seq, c.shape.hidden];
  const size = BATCH * c.seq * c.shape.hidden;
  const result = await tidyAsync(async () => {
    const x = requireGrad(tensorFrom(rt, randomData(size, 3), dims));
    const weights = tensorFrom(rt, randomData(size, 5), dims);
    const mask =
      c.kept === null
        ? undefined
        : tensorFrom(
            rt,
            Float32Array.from({ length: BATCH * c.seq }, (_, i) => (i % c.seq < c.kept! ? 1 : 0)),
            [BATCH, c.seq],
          );
    await rt.sync();
    const before = rt.counters.dispatches;
    let output = stack.forward(x, mask);
    // A second pass through the same parameters: each then has two uses, and backward() sums their gradients.
    for (let i = 1; i < passes; i++) output = stack.forward(output, mask);
    const loss = sum(reshape(mul(output, weights), [size]), 0);
    backward(loss);
    optimizer?.step();
    const dispatches = rt.counters.dispatches - before;
    return {
      output: (await output.read()) as Float32Array,
      loss: (await loss.read()) as Float32Array,
      inputGrad: (await x.grad!.read()) as Float32Array,
      grads: await Promise.all(params.map(async (p) => (await p.grad!.read()) as Float32Array)),
      params: await Promise.all(params.map(async (p) => (await p.read()) as Float32Array)),
      dispatches,
    };
  });
  optimizer?.zeroGrad();
  optimizer?.dispose();
  for (const p of params) {
    if (!optimizer) p.grad?.dispose();
    p.dispose();
  }
  return result;
}

function expectSameBits(fused: StepResult, unfused: StepResult): void {
  expect(bits(fused.output)).toEqual(bits(unfused.output));
  expect(bits(fused.loss)).toEqual(bits(unfused.loss));
  expect(bits(fused.inputGrad)).toEqual(bits(unfused.inputGrad));
  expect(fused.grads.length).toBe(unfused.grads.length);
  fused.grads.forEach((g, i) => expect(bits(g), `gradient ${i}`).toEqual(bits(unfused.grads[i]!)));
  fused.params.forEach((p, i) => expect(bits(p), `parameter ${i}`).toEqual(bits(unfused.params[i]!)));
}

describe('Q, K, V as one batched product', () => {
  let rt: Runtime | null = null;
  afterEach(() => rt && useQkvFusion(rt, true));

  for (const preset of ['tiny', 'small'] as const)
    for (const c of stackCases(preset)) {
      it(`${c.name} blocks: the same bits as three linear layers, 4 dispatches fewer per block`, async () => {
        rt = await gpuRuntime();
        const fused = await step(rt, c, true);
        useQkvFusion(rt, false);
        const unfused = await step(rt, c, true);
        expectSameBits(fused, unfused);
        expect(unfused.dispatches - fused.dispatches).toBe(4 * c.shape.layers);
      });
    }

  it('parameters used twice: weight gradients per projection, summed as three linear layers sum them', async () => {
    rt = await gpuRuntime();
    const c = stackCases('tiny')[1]!;
    const fused = await step(rt, c, true, 2);
    useQkvFusion(rt, false);
    const unfused = await step(rt, c, true, 2);
    expectSameBits(fused, unfused);
    // Only the forward products are batched: 2 dispatches fewer per block and pass.
    expect(unfused.dispatches - fused.dispatches).toBe(2 * 2 * c.shape.layers);
  });

  it('falls back to three linear layers without an optimizer arena', async () => {
    rt = await gpuRuntime();
    const c = stackCases('tiny')[1]!;
    const fused = await step(rt, c, false);
    useQkvFusion(rt, false);
    const unfused = await step(rt, c, false);
    expectSameBits(fused, unfused);
    expect(fused.dispatches).toBe(unfused.dispatches);
  });

  it('forward without gradients: one product, the same bits', async () => {
    rt = await gpuRuntime();
    const c = stackCases('tiny')[0]!;
    const run = async () => {
      const stack = new BlockStack(rt!, c.shape, c.placement, new Rng(7), new DropoutStream(11));
      stack.eval();
      const optimizer = new AdamW(stack.parameters());
      const out = await tidyAsync(async () => {
        const x: Tensor = tensorFrom(rt!, randomData(BATCH * c.seq * c.shape.hidden, 3), [
          BATCH,
          c.seq,
          c.shape.hidden,
        ]);
        await rt!.sync();
        const before = rt!.counters.dispatches;
        const y = noGrad(() => stack.forward(x));
        const dispatches = rt!.counters.dispatches - before;
        return { values: (await y.read()) as Float32Array, dispatches };
      });
      optimizer.dispose();
      for (const p of stack.parameters()) p.dispose();
      return out;
    };
    const fused = await run();
    useQkvFusion(rt, false);
    const unfused = await run();
    expect(bits(fused.values)).toEqual(bits(unfused.values));
    expect(unfused.dispatches - fused.dispatches).toBe(2 * c.shape.layers);
  });
});
