// PyTorch golden files (scripts/golden/make_golden.py, torch 1.13 in float64): our GPU outputs and gradients
// must match within relative error 1e-4, defined per tensor as max|ours − torch| / max(max|torch|, 1e-3).
// The 1e-3 floor only matters for gradients that are mathematically zero (the attention key bias: softmax
// ignores a shift shared by all scores), where torch's values are float64 rounding noise (~1e-17).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as ag from '../../src/autograd/index.js';
import { composedAttention, DropoutStream, fusedAttention, TransformerBlock } from '../../src/models/transformer.js';
import { Rng } from '../../src/util/rng.js';
import { AdamW } from '../../src/ops/optim.js';
import { tensorFrom, tidyAsync, type Tensor } from '../../src/tensor/tensor.js';
import { gpuRuntime } from '../helpers/gpu.js';

const TOLERANCE = 1e-4;

// biome-ignore lint/suspicious/noExplicitAny: golden files of many shapes, read field by field by each test
function golden(name: string): any {
  return JSON.parse(readFileSync(new URL(`../fixtures/golden/${name}.json`, import.meta.url), 'utf8'));
}

function relativeError(ours: ArrayLike<number>, torch: number[]): number {
  expect(ours.length).toBe(torch.length);
  let diff = 0;
  let scale = 1e-3;
  torch.forEach((b, i) => {
    diff = Math.max(diff, Math.abs(ours[i]! - b));
    scale = Math.max(scale, Math.abs(b));
  });
  return Number.isNaN(diff) ? Infinity : diff / scale;
}

async function expectMatches(what: string, t: Tensor | null, torch: number[]): Promise<void> {
  if (!t) throw new Error(`${what}: no gradient`);
  const err = relativeError(await t.read(), torch);
  expect(err, `${what}: relative error ${err}`).toBeLessThan(TOLERANCE);
}

function leaf(data: number[], shape: number[]): Promise<Tensor> {
  return gpuRuntime().then((rt) => ag.requireGrad(tensorFrom(rt, data, shape)));
}

describe('PyTorch golden files', () => {
  it('layer norm: y, dx, dgamma, dbeta', async () => {
    const g = golden('layernorm');
    await tidyAsync(async () => {
      const [x, gamma, beta] = await Promise.all([
        leaf(g.x, g.shape),
        leaf(g.gamma, [g.shape[1]]),
        leaf(g.beta, [g.shape[1]]),
      ]);
      const y = ag.layerNorm(x, gamma, beta, g.eps);
      await expectMatches('y', y, g.y);
      ag.backward(y, tensorFrom(x.runtime, g.cotangent, g.shape));
      await expectMatches('dx', x.grad, g.dx);
      await expectMatches('dgamma', gamma.grad, g.dgamma);
      await expectMatches('dbeta', beta.grad, g.dbeta);
      for (const t of [x, gamma, beta]) t.grad?.dispose();
    });
  });

  for (const name of ['softmax', 'log_softmax'] as const) {
    it(name, async () => {
      const g = golden('softmax');
      await tidyAsync(async () => {
        const x = await leaf(g.x, g.shape);
        const y = name === 'softmax' ? ag.softmax(x) : ag.logSoftmax(x);
        await expectMatches('y', y, g[name].y);
        ag.backward(y, tensorFrom(x.runtime, g[name].cotangent, g.shape));
        await expectMatches('dx', x.grad, g[name].dx);
        x.grad?.dispose();
      });
    });
  }

  for (const form of ['erf', 'tanh'] as const) {
    it(`GELU (${form})`, async () => {
      const g = golden('gelu');
      await tidyAsync(async () => {
        const x = await leaf(g.x, [g.x.length]);
        const y = ag.gelu(x, form);
        await expectMatches('y', y, g[form].y);
        ag.backward(y, tensorFrom(x.runtime, g[form].cotangent, [g.x.length]));
        await expectMatches('dx', x.grad, g[form].dx);
        x.grad?.dispose();
      });
    });
  }

  // The golden script names the block's parameters its own way; ours are the encoders' names.
  const GOLDEN_NAMES: Record<string, string> = {
    'attentionNorm.weight': 'ln1.weight',
    'attentionNorm.bias': 'ln1.bias',
    'mlpNorm.weight': 'ln2.weight',
    'mlpNorm.bias': 'ln2.bias',
    'attention.query.weight': 'attn.q.weight',
    'attention.query.bias': 'attn.q.bias',
    'attention.key.weight': 'attn.k.weight',
    'attention.key.bias': 'attn.k.bias',
    'attention.value.weight': 'attn.v.weight',
    'attention.value.bias': 'attn.v.bias',
    'attention.output.weight': 'attn.out.weight',
    'attention.output.bias': 'attn.out.bias',
    'intermediate.weight': 'fc1.weight',
    'intermediate.bias': 'fc1.bias',
    'output.weight': 'fc2.weight',
    'output.bias': 'fc2.bias',
  };

  for (const [label, attend] of [
    ['fused', fusedAttention],
    ['composed', composedAttention],
  ] as const) {
    it(`pre-LN transformer block, ${label} attention: output and every parameter's gradient`, async () => {
      const rt = await gpuRuntime();
      const g = golden('transformer_block');
      const shape = {
        hidden: g.dim,
        layers: 1,
        heads: g.heads,
        mlp: 4 * g.dim,
        layerNormEps: 1e-5,
        dropout: 0,
        embedDim: g.dim,
      };
      const block = new TransformerBlock(rt, shape, 'pre', new Rng(0), new DropoutStream(0), attend);
      const names = [...block.namedParameters()].map(([n]) => GOLDEN_NAMES[n] ?? n);
      expect(names.sort()).toEqual(Object.keys(g.params).sort());
      block.loadParameters(
        Object.fromEntries(Object.entries(GOLDEN_NAMES).map(([ours, theirs]) => [ours, g.params[theirs]])),
      );
      await tidyAsync(async () => {
        const x = await leaf(g.x, g.shape);
        const y = block.forward(x);
        await expectMatches('y', y, g.y);
        ag.backward(y, tensorFrom(rt, g.cotangent, g.shape));
        await expectMatches('dx', x.grad, g.dx);
        for (const [name, p] of block.namedParameters())
          await expectMatches(`d ${name}`, p.grad, g.grads[GOLDEN_NAMES[name]!]);
        x.grad?.dispose();
      });
      block.dispose();
    });
  }

  for (const variant of ['plain', 'clipped'] as const) {
    it(`AdamW over 3 steps (${variant})`, async () => {
      const rt = await gpuRuntime();
      const g = golden('adamw');
      const params = g.shapes.map((shape: number[], i: number) => ag.requireGrad(tensorFrom(rt, g.initial[i], shape)));
      const opt = new AdamW(params, { ...g.options, maxGradNorm: g[variant].maxGradNorm });
      for (let step = 0; step < 3; step++) {
        params.forEach((p: Tensor, i: number) => (p.grad = tensorFrom(rt, g.grads[step][i], p.shape)));
        opt.step();
        opt.zeroGrad();
        for (let i = 0; i < params.length; i++)
          await expectMatches(`step ${step + 1} param ${i}`, params[i], g[variant].after[step][i]);
      }
      opt.dispose();
      for (const p of params) p.dispose();
    });
  }
});
