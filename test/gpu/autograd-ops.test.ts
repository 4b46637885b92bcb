// Every differentiable op: GPU forward and gradients against float64 references (finite differences of
// the reference for gradients), on awkward shapes, on the adapter under test.
import { describe, expect, it } from 'vitest';
import * as ag from '../../src/autograd/index.js';
import { GELU, geluRef, type GeluForm } from '../../src/ops/activation.js';
import { binaryRef, UNARY_DERIVATIVE, unaryOp, unaryRef, type UnaryOp } from '../../src/ops/elementwise.js';
import { dropoutRef } from '../../src/ops/dropout.js';
import { embeddingRef } from '../../src/ops/embedding.js';
import { layerNormRef } from '../../src/ops/layernorm.js';
import { broadcastTo } from '../../src/ops/layout.js';
import { permuteRef } from '../../src/ops/layout.js';
import { crossEntropyRef } from '../../src/ops/loss.js';
import { linear, linearOp, linearRef, matmul, matmulRef } from '../../src/ops/matmul.js';
import { geluMlp, geluMlpRef } from '../../src/ops/mlp.js';
import { binary } from '../../src/ops/elementwise.js';
import { cosineDistanceRef, cosineSimilarityRef, l2normalizeRef } from '../../src/ops/normalize.js';
import { reduce, reduceRef } from '../../src/ops/reduce.js';
import { softmaxRef } from '../../src/ops/softmax.js';
import { SERIAL_ROW_MAX } from '../../src/ops/row-layout.js';
import type { HostTensor } from '../../src/tensor/host.js';
import { gradNodeOf } from '../../src/tensor/tape.js';
import { type Tensor, tensorFrom, tidyAsync } from '../../src/tensor/tensor.js';
import { checkGrad } from '../helpers/check-grad.js';
import { gpuRuntime } from '../helpers/gpu.js';

const SIZES = [1, 3, 17, 65];
// Row kernels give short rows an invocation each and long rows a workgroup (src/ops/row-layout.ts rowLayout):
// these cover both, and a last workgroup of short rows that is only partly filled.
const ROW_SHAPES: [number, number][] = [
  [3, SERIAL_ROW_MAX + 44],
  [130, 5],
];

describe('row ops', () => {
  it('softmax and log-softmax', async () => {
    for (const n of SIZES) {
      for (const log of [false, true]) {
        await checkGrad({
          shapes: [[3, n]],
          range: [-4, 4],
          gpu: ([x]) => (log ? ag.logSoftmax(x!) : ag.softmax(x!)),
          ref: ([x]) => softmaxRef(x!, log),
        });
      }
    }
    for (const shape of ROW_SHAPES)
      await checkGrad({ shapes: [shape], gpu: ([x]) => ag.logSoftmax(x!), ref: ([x]) => softmaxRef(x!, true) });
    // Large logits: the max subtraction keeps exp finite.
    await checkGrad({
      shapes: [[2, 17]],
      range: [80, 120],
      gpu: ([x]) => ag.softmax(x!),
      ref: ([x]) => softmaxRef(x!),
      gradAtol: 1e-3,
    });
  });

  it('residual sum fused with layer norm, with and without dropout (sum, normed; dx, dr, dgamma, dbeta)', async () => {
    const ref = (inputs: HostTensor[], dropout: { p: number; seed: number } | null, sumFirst: boolean) => {
      const [x, r, g, b] = inputs as [HostTensor, HostTensor, HostTensor, HostTensor];
      const branch = dropout ? dropoutRef(r, dropout.p, dropout.seed) : r;
      const sum = binaryRef('add', x, branch);
      const normed = layerNormRef(sum, g, b);
      const half = unaryRef('scale', sum, 0.5);
      return sumFirst ? binaryRef('add', half, normed) : binaryRef('add', normed, half);
    };
    for (const [rows, n] of [[1, 3], [17, 5], [3, 65], ...ROW_SHAPES]) {
      for (const dropout of [null, { p: 0.3, seed: 77 }]) {
        // The sum's own use is added before or after the norm's rule runs: the add's rule takes the branch
        // gradient the norm's dispatch made, or applies the mask itself.
        for (const sumFirst of [false, true]) {
          await checkGrad({
            shapes: [[rows!, n!], [rows!, n!], [n!], [n!]],
            gpu: ([x, r, g, b]) => {
              const { sum, normed } = ag.residualLayerNorm(x!, r!, g!, b!, 1e-5, dropout);
              const half = ag.scale(sum, 0.5);
              return sumFirst ? ag.add(half, normed) : ag.add(normed, half);
            },
            ref: (inputs) => ref(inputs, dropout, sumFirst),
            atol: 1e-4,
            gradAtol: 2e-4,
          });
        }
      }
    }
  });

  it('residual sum fused with layer norm stores what dropout, add and layer norm apart store', async () => {
    const rt = await gpuRuntime();
    for (const [rows, n] of ROW_SHAPES) {
      const values = (count: number, seed: number) =>
        Array.from({ length: count }, (_, i) => Math.sin(seed * 7919 + i * 104729) * 3);
      const x = tensorFrom(rt, values(rows * n, 1), [rows, n]);
      const r = tensorFrom(rt, values(rows * n, 2), [rows, n]);
      const g = tensorFrom(rt, values(n, 3), [n]);
      const b = tensorFrom(rt, values(n, 4), [n]);
      const fused = ag.residualLayerNorm(x, r, g, b, 1e-5, { p: 0.25, seed: 9 });
      const sum = ag.add(x, ag.dropout(r, 0.25, 9));
      expect(Array.from(await fused.sum.read())).toEqual(Array.from(await sum.read()));
      expect(Array.from(await fused.normed.read())).toEqual(Array.from(await ag.layerNorm(sum, g, b).read()));
    }
  });

  it('residual sum fused with layer norm: one backward dispatch, the gradients apart ones give', async () => {
    const rt = await gpuRuntime();
    const [rows, n] = [37, 24];
    const values = (count: number, seed: number) =>
      Array.from({ length: count }, (_, i) => Math.sin(seed * 7919 + i * 104729) * 3);
    const grads = async (fused: boolean) =>
      tidyAsync(async () => {
        const inputs = [1, 2, 3, 4].map((seed, i) =>
          ag.requireGrad(tensorFrom(rt, values(i < 2 ? rows * n : n, seed), i < 2 ? [rows, n] : [n])),
        );
        const [x, r, g, b] = inputs as [Tensor, Tensor, Tensor, Tensor];
        const y = fused
          ? ag.residualLayerNorm(x, r, g, b, 1e-5, { p: 0.25, seed: 9 }).normed
          : ag.layerNorm(ag.add(x, ag.dropout(r, 0.25, 9)), g, b);
        const before = rt.counters.dispatches;
        ag.backward(y, tensorFrom(rt, values(rows * n, 5), [rows, n]));
        const dispatches = rt.counters.dispatches - before;
        const out = await Promise.all(inputs.map(async (t) => Array.from(await t.grad!.read())));
        for (const t of inputs) t.grad!.dispose();
        return { dispatches, out };
      });
    const [fused, apart] = [await grads(true), await grads(false)];
    expect(fused.dispatches).toBe(1);
    expect(apart.dispatches).toBe(2);
    expect(fused.out).toEqual(apart.out);
  });

  it('cross-entropy with integer targets, mean over rows', async () => {
    const rt = await gpuRuntime();
    for (const [rows, classes] of [[1, 3], [17, 5], [3, 65], ...ROW_SHAPES]) {
      const targets = Array.from({ length: rows }, (_, r) => (r * 7) % classes);
      await checkGrad({
        shapes: [[rows, classes]],
        range: [-3, 3],
        gpu: ([x]) => ag.crossEntropy(x!, tensorFrom(rt, targets, [rows], 'i32')),
        ref: ([x]) => crossEntropyRef(x!, targets),
      });
    }
  });

  it('layer norm (dx, dgamma, dbeta)', async () => {
    for (const [rows, n] of [[1, 3], [17, 3], [3, 17], [65, 17], [2, 65], ...ROW_SHAPES]) {
      await checkGrad({
        shapes: [[rows!, n!], [n!], [n!]],
        gpu: ([x, g, b]) => ag.layerNorm(x!, g!, b!),
        ref: ([x, g, b]) => layerNormRef(x!, g!, b!),
        atol: 1e-4,
        gradAtol: 2e-4,
      });
    }
  });

  it('L2 normalisation, cosine similarity matrix and pairwise cosine distance', async () => {
    for (const n of SIZES) {
      await checkGrad({ shapes: [[3, n]], gpu: ([x]) => ag.l2normalize(x!), ref: ([x]) => l2normalizeRef(x!) });
    }
    for (const shape of ROW_SHAPES)
      await checkGrad({ shapes: [shape], gpu: ([x]) => ag.l2normalize(x!), ref: ([x]) => l2normalizeRef(x!) });
    await checkGrad({
      shapes: [
        [5, 17],
        [3, 17],
      ],
      gpu: ([a, b]) => ag.cosineSimilarity(a!, b!),
      ref: ([a, b]) => cosineSimilarityRef(a!, b!),
    });
    await checkGrad({
      shapes: [
        [1, 3],
        [65, 3],
      ],
      gpu: ([a, b]) => ag.cosineDistance(a!, b!),
      ref: ([a, b]) => cosineDistanceRef(a!, b!),
    });
  });
});

describe('activations', () => {
  for (const form of Object.keys(GELU) as GeluForm[]) {
    it(`GELU (${form})`, async () => {
      for (const n of SIZES)
        await checkGrad({
          shapes: [[n, 3]],
          range: [-5, 5],
          gpu: ([x]) => ag.gelu(x!, form),
          ref: ([x]) => geluRef(x!, form),
          atol: 1e-6,
        });
    });
  }

  it('erf approximation: |error| < 1e-6 over [-6, 6] (through GELU: erf(z) = 2·gelu(√2 z)/(√2 z) − 1)', async () => {
    const rt = await gpuRuntime();
    const xs = Array.from({ length: 4001 }, (_, i) => -8.5 + (17 * i) / 4000);
    const y = ag.gelu(tensorFrom(rt, xs, [xs.length]), 'erf');
    const got = await y.read();
    const want = geluRef({ shape: [xs.length], data: Float64Array.from(xs) }, 'erf').data;
    // gelu error = 0.5·|x|·erf error, so compare the erf error it implies.
    let worst = 0;
    xs.forEach((x, i) => x !== 0 && (worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / (0.5 * Math.abs(x)))));
    y.dispose();
    expect(worst).toBeLessThan(1e-6);
  });

  const UNARY_CASES: [UnaryOp, [number, number]][] = [
    ['relu', [-2, 2]],
    ['tanh', [-3, 3]],
    ['sigmoid', [-3, 3]],
    ['exp', [-2, 2]],
    ['log', [0.5, 3]],
    ['sqrt', [0.5, 3]],
    ['rsqrt', [0.5, 3]],
    ['square', [-2, 2]],
    ['reciprocal', [0.5, 3]],
    ['neg', [-2, 2]],
    ['abs', [-2, 2]],
    ['scale', [-2, 2]],
    ['addScalar', [-2, 2]],
    ['powScalar', [0.5, 3]],
    ['sin', [-2, 2]],
    ['cos', [-2, 2]],
  ];
  it('every elementwise op has a backward rule', () =>
    expect(UNARY_CASES.map(([op]) => op).sort()).toEqual(Object.keys(UNARY_DERIVATIVE).sort()));
  for (const [op, range] of UNARY_CASES) {
    it(`unary ${op}`, async () => {
      for (const n of [1, 17, 65]) {
        const trig = op === 'sin' || op === 'cos';
        await checkGrad({
          shapes: [[n, 3]],
          range,
          gpu: ([x]) => unaryOp(op, x!, 1.7),
          ref: ([x]) => unaryRef(op, x!, 1.7),
          rtol: 2e-5,
          atol: trig ? 2 ** -11 : 2e-6,
          gradAtol: trig ? 2 ** -11 : 1e-4,
        });
      }
    });
  }
});

describe('core ops', () => {
  it('binary ops with broadcasting (gradients summed back to each input shape)', async () => {
    const ops = { add: ag.add, sub: ag.sub, mul: ag.mul, div: ag.div } as const;
    for (const [name, op] of Object.entries(ops)) {
      for (const [sa, sb] of [
        [
          [17, 3],
          [17, 3],
        ],
        [[65, 3], [3]],
        [
          [3, 1, 17],
          [1, 5, 1],
        ],
        [[1], [17]],
      ]) {
        await checkGrad({
          shapes: [sa!, sb!],
          range: name === 'div' ? [0.5, 2] : [-2, 2],
          gpu: ([a, b]) => op(a!, b!),
          ref: ([a, b]) => binaryRef(name as keyof typeof ops, a!, b!),
          rtol: 2e-5,
        });
      }
    }
  });

  it('matmul: transposes and broadcast batches', async () => {
    for (const [m, k, n] of [
      [1, 3, 17],
      [17, 65, 3],
      [3, 1, 1],
    ]) {
      for (const [transA, transB] of [
        [false, false],
        [true, false],
        [false, true],
        [true, true],
      ] as const) {
        await checkGrad({
          shapes: [transA ? [k!, m!] : [m!, k!], transB ? [n!, k!] : [k!, n!]],
          gpu: ([a, b]) => ag.matmul(a!, b!, { transA, transB }),
          ref: ([a, b]) => matmulRef(a!, b!, { transA, transB }),
          atol: 1e-4,
        });
      }
    }
    await checkGrad({
      shapes: [
        [2, 3, 5],
        [5, 17],
      ],
      gpu: ([a, b]) => ag.matmul(a!, b!),
      ref: ([a, b]) => matmulRef(a!, b!),
      atol: 1e-4,
    });
    await checkGrad({
      shapes: [
        [3, 5],
        [2, 17, 5],
      ],
      gpu: ([a, b]) => ag.matmul(a!, b!, { transB: true }),
      ref: ([a, b]) => matmulRef(a!, b!, { transB: true }),
      atol: 1e-4,
    });
  });

  it('linear (matmul with the bias fused into its store) and its gradients', async () => {
    for (const [m, k, n] of [
      [1, 3, 17],
      [17, 65, 3],
      [9, 8, 12],
    ]) {
      await checkGrad({
        shapes: [[m!, k!], [n!, k!], [n!]],
        gpu: ([x, w, b]) => linearOp(x!, w!, b!),
        ref: ([x, w, b]) => linearRef(x!, w!, b!),
        atol: 1e-4,
      });
    }
    // Leading extents of x are rows of the same products (no reshape), with and without a bias.
    await checkGrad({
      shapes: [[2, 3, 5], [7, 5], [7]],
      gpu: ([x, w, b]) => linearOp(x!, w!, b!),
      ref: ([x, w, b]) => linearRef(x!, w!, b!),
      atol: 1e-4,
    });
    await checkGrad({
      shapes: [
        [3, 1, 9],
        [5, 9],
      ],
      gpu: ([x, w]) => linearOp(x!, w!, null),
      ref: ([x, w]) => matmulRef(x!, w!, { transB: true }),
      atol: 1e-4,
    });
  });

  it("GELU MLP (GELU in the first product's store, gelu' in the backward's) and its gradients", async () => {
    for (const form of ['erf', 'tanh'] as GeluForm[]) {
      for (const [rows, k, hidden, n] of [
        [1, 3, 17, 5],
        [17, 9, 6, 3],
        [2, 8, 12, 4],
      ]) {
        await checkGrad({
          shapes: [[rows!, k!], [hidden!, k!], [hidden!], [n!, hidden!], [n!]],
          gpu: ([x, w1, b1, w2, b2]) => geluMlp(x!, w1!, b1!, w2!, b2!, form),
          ref: ([x, w1, b1, w2, b2]) => geluMlpRef(x!, w1!, b1!, w2!, b2!, form),
          atol: 1e-4,
        });
      }
    }
  });

  it('GELU MLP: two dispatches forward and four backward, storing what linear, gelu and linear apart store', async () => {
    const rt = await gpuRuntime();
    const [batch, seq, k, hidden, n] = [3, 13, 20, 36, 12];
    const values = (count: number, seed: number) =>
      Array.from({ length: count }, (_, i) => Math.sin(seed * 7919 + i * 104729) * 2);
    const shapes = [[batch, seq, k], [hidden, k], [hidden], [n, hidden], [n]];
    const run = async (fused: boolean) =>
      tidyAsync(async () => {
        const inputs = shapes.map((shape, i) =>
          ag.requireGrad(
            tensorFrom(
              rt,
              values(
                shape.reduce((p, d) => p * d, 1),
                i + 1,
              ),
              shape,
            ),
          ),
        );
        const [x, w1, b1, w2, b2] = inputs as [Tensor, Tensor, Tensor, Tensor, Tensor];
        const start = rt.counters.dispatches;
        const y = fused ? geluMlp(x, w1, b1, w2, b2) : linearOp(ag.gelu(linearOp(x, w1, b1)), w2, b2);
        const forward = rt.counters.dispatches - start;
        ag.backward(y, tensorFrom(rt, values(batch * seq * n, 9), [batch, seq, n]));
        const backward = rt.counters.dispatches - start - forward;
        const out = [Array.from(await y.read())];
        for (const t of inputs) {
          out.push(Array.from(await t.grad!.read()));
          t.grad!.dispose();
        }
        return { forward, backward, out };
      });
    const [fused, apart] = [await run(true), await run(false)];
    // Backward: each product's input gradient and its weight gradient (with the bias gradient beside it).
    expect([fused.forward, fused.backward]).toEqual([2, 4]);
    expect([apart.forward, apart.backward]).toEqual([3, 5]);
    expect(fused.out).toEqual(apart.out);
  });

  it("linear's bias gradient, summed beside its weight gradient, is what reduce's sum gives, bit for bit", async () => {
    const rt = await gpuRuntime();
    // Rows (the products' K) not a multiple of 4, and more than one workgroup of output rows and columns.
    for (const [rows, k, n] of [
      [37, 20, 67],
      [2, 3, 5],
    ] as const) {
      const values = (count: number, seed: number) =>
        Array.from({ length: count }, (_, i) => Math.sin(seed * 7919 + i * 104729) * 3);
      await tidyAsync(async () => {
        const x = tensorFrom(rt, values(rows * k, 1), [rows, k]);
        const [w, b] = [tensorFrom(rt, values(n * k, 2), [n, k]), tensorFrom(rt, values(n, 3), [n])];
        const g = tensorFrom(rt, values(rows * n, 4), [rows, n]);
        for (const onlyBias of [false, true]) {
          w.requiresGrad = !onlyBias;
          b.requiresGrad = true;
          const y = linearOp(x, w, b);
          const before = rt.counters.dispatches;
          ag.backward(y, g);
          // Beside the weight gradient: one dispatch; alone: the reduction.
          expect(rt.counters.dispatches - before).toBe(1);
          expect(Array.from(await b.grad!.read())).toEqual(Array.from(await reduce('sum', g, 0).read()));
          b.grad!.dispose();
          w.grad?.dispose();
          b.grad = w.grad = null;
        }
      });
    }
  });

  it('linear stores exactly what matmul then a bias add store', async () => {
    const rt = await gpuRuntime();
    const [m, k, n] = [37, 20, 67];
    const values = (count: number, seed: number) =>
      Array.from({ length: count }, (_, i) => Math.sin(seed * 7919 + i * 104729) * 3);
    const x = tensorFrom(rt, values(m * k, 1), [m, k]);
    const w = tensorFrom(rt, values(n * k, 2), [n, k]);
    const b = tensorFrom(rt, values(n, 3), [n]);
    const fused = await linear(x, w, b).read();
    const composed = await binary('add', matmul(x, w, { transB: true }), b).read();
    expect(Array.from(fused)).toEqual(Array.from(composed));
  });

  it('sum and mean along each axis', async () => {
    for (const axis of [0, 1, 2]) {
      for (const keep of [false, true]) {
        await checkGrad({
          shapes: [[3, 17, 2]],
          gpu: ([x]) => ag.sum(x!, axis, keep),
          ref: ([x]) => reduceRef('sum', x!, axis, keep),
          atol: 1e-5,
        });
        await checkGrad({
          shapes: [[3, 1, 65]],
          gpu: ([x]) => ag.mean(x!, axis, keep),
          ref: ([x]) => reduceRef('mean', x!, axis, keep),
        });
      }
    }
  });

  it('permute, reshape, broadcastTo', async () => {
    await checkGrad({
      shapes: [[3, 17, 2]],
      gpu: ([x]) => ag.permute(x!, [2, 0, 1]),
      ref: ([x]) => permuteRef(x!, [2, 0, 1]),
    });
    await checkGrad({
      shapes: [[3, 17]],
      gpu: ([x]) => ag.reshape(x!, [17, 3]),
      ref: ([x]) => ({ shape: [17, 3], data: x!.data }),
    });
    await checkGrad({
      shapes: [[3, 1]],
      gpu: ([x]) => ag.broadcastTo(x!, [2, 3, 17]),
      ref: ([x]) => ({
        shape: [2, 3, 17],
        data: Float64Array.from({ length: 102 }, (_, i) => x!.data[Math.floor(i / 17) % 3]!),
      }),
    });
  });

  it('embedding: deterministic scatter-add backward, repeated and out-of-range ids', async () => {
    const rt = await gpuRuntime();
    const ids = [3, 0, 3, 16, 3, -1, 17, 5, 0];
    await checkGrad({
      shapes: [[17, 5]],
      gpu: ([table]) => ag.embedding(table!, tensorFrom(rt, ids, [3, 3], 'i32')),
      ref: ([table]) => ({ ...embeddingRef(table!, ids), shape: [3, 3, 5] }),
    });
  });

  it('dropout: the kernel mask matches the reference hash bit for bit, and backward reuses it', async () => {
    for (const p of [0.1, 0.5]) {
      await checkGrad({
        shapes: [[17, 65]],
        gpu: ([x]) => ag.dropout(x!, p, 1234),
        ref: ([x]) => dropoutRef(x!, p, 1234),
      });
    }
    const ones = { shape: [100000], data: new Float64Array(100000).fill(1) };
    const kept = dropoutRef(ones, 0.3, 7).data.filter((v) => v !== 0).length / 100000;
    expect(Math.abs(kept - 0.7)).toBeLessThan(0.01);
    expect(dropoutRef(ones, 0.3, 8).data).not.toEqual(dropoutRef(ones, 0.3, 7).data);
  });
});

it('broadcastTo of a non-differentiable input records nothing', async () => {
  const rt = await gpuRuntime();
  const x = tensorFrom(rt, [1, 2], [2]);
  const y = broadcastTo(x, [3, 2]);
  expect(gradNodeOf(y)).toBeNull();
  x.dispose();
  y.dispose();
});
