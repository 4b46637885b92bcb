// Batched matrix product with either operand transposed: shaders/matmul.wgsl (tiled, 4×4 register blocks,
// tile sizes chosen from the device's limits) and the float64 reference.
import type { Runtime } from '../gpu/runtime.js';
import type { HostTensor } from '../tensor/host.js';
import { Tensor, type Shape } from '../tensor/tensor.js';

export interface MatmulOptions {
  transA?: boolean;
  transB?: boolean;
}

export interface MatmulTiles {
  WG_X: number;
  WG_Y: number;
  TILE_K: number;
}

/** The largest 4×4-register-blocked tiling the device's workgroup limits allow. */
export function matmulTiles(rt: Runtime): MatmulTiles {
  const storage = rt.limits.maxComputeWorkgroupStorageSize ?? 16384;
  const candidates: MatmulTiles[] = [
    { WG_X: 16, WG_Y: 16, TILE_K: 16 },
    { WG_X: 16, WG_Y: 8, TILE_K: 16 },
    { WG_X: 8, WG_Y: 8, TILE_K: 16 },
    { WG_X: 8, WG_Y: 4, TILE_K: 8 },
  ];
  const fits = (t: MatmulTiles) => t.WG_X * t.WG_Y <= rt.maxInvocations && 4 * t.TILE_K * 4 * (t.WG_X + t.WG_Y) <= storage;
  return candidates.find(fits) ?? candidates.at(-1)!;
}

interface MatmulDims {
  batch: number;
  batchA: number;
  batchB: number;
  m: number;
  n: number;
  k: number;
  outShape: number[];
}

/** Leading dimensions are flattened into one batch; either operand may have batch 1 (broadcast). */
export function matmulDims(a: Shape, b: Shape, { transA = false, transB = false }: MatmulOptions): MatmulDims {
  if (a.length < 2 || b.length < 2) throw new Error(`matmul: operands need rank ≥ 2, got [${a.join(', ')}] and [${b.join(', ')}]`);
  const [ar, ac] = a.slice(-2) as [number, number];
  const [br, bc] = b.slice(-2) as [number, number];
  const [m, ka] = transA ? [ac, ar] : [ar, ac];
  const [kb, n] = transB ? [bc, br] : [br, bc];
  if (ka !== kb) throw new Error(`matmul: inner dimensions differ (${ka} vs ${kb}) for [${a.join(', ')}]·[${b.join(', ')}]`);
  const lead = (s: Shape) => s.slice(0, -2);
  const batchA = lead(a).reduce((p, d) => p * d, 1);
  const batchB = lead(b).reduce((p, d) => p * d, 1);
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) throw new Error(`matmul: batch sizes ${batchA} and ${batchB} differ`);
  const outLead = batchA >= batchB ? lead(a) : lead(b);
  return { batch: Math.max(batchA, batchB), batchA, batchB, m, n, k: ka, outShape: [...outLead, m, n] };
}

export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  const rt = a.runtime;
  const d = matmulDims(a.shape, b.shape, options);
  const out = new Tensor(rt, d.outShape);
  if (d.k === 0) {
    rt.clear(out);
    return out;
  }
  const tiles = matmulTiles(rt);
  const kernel = rt.kernel({
    shader: 'matmul',
    constants: { ...tiles, TRANS_A: options.transA ? 1 : 0, TRANS_B: options.transB ? 1 : 0 },
  });
  rt.dispatch(kernel, { a, b, c: out }, { m: d.m, n: d.n, k: d.k, batch_a: d.batchA, batch_b: d.batchB }, [
    Math.ceil(d.n / (tiles.WG_X * 4)),
    Math.ceil(d.m / (tiles.WG_Y * 4)),
    d.batch,
  ]);
  return out;
}

export function matmulRef(a: HostTensor, b: HostTensor, options: MatmulOptions = {}): HostTensor {
  const d = matmulDims(a.shape, b.shape, options);
  const { m, n, k } = d;
  const data = new Float64Array(d.batch * m * n);
  for (let p = 0; p < d.batch; p++) {
    const aBase = d.batchA > 1 ? p * m * k : 0;
    const bBase = d.batchB > 1 ? p * k * n : 0;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let q = 0; q < k; q++) {
          const av = a.data[aBase + (options.transA ? q * m + i : i * k + q)]!;
          const bv = b.data[bBase + (options.transB ? j * k + q : q * n + j)]!;
          acc += av * bv;
        }
        data[(p * m + i) * n + j] = acc;
      }
  }
  return { shape: d.outShape, data };
}
