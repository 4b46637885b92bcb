// The matmul kernel's generated variants: each operand is fetched through a vec4 binding when its contiguous
// axis (K for A, N for B, M for Aᵀ, K for Bᵀ) is a multiple of 4, else through scalar loads; K % 4 decides
// whether the K tail is masked. Every combination, with blocks that straddle workgroup edges.
import { describe, it } from 'vitest';
import { matmul, matmulRef, type MatmulOptions } from '../../src/ops/matmul.js';
import { checkOp } from '../helpers/check-op.js';

const TRANSPOSES: MatmulOptions[] = [{}, { transA: true }, { transB: true }, { transA: true, transB: true }];

function stored(rows: number, cols: number, trans: boolean | undefined): number[] {
  return trans ? [cols, rows] : [rows, cols];
}

describe('matmul variants', () => {
  it('aligned and unaligned M, N, K under every transpose', async () => {
    // M ≥ 256 with A untransposed takes the 16×8 blocks (matmulTiles).
    for (const opts of TRANSPOSES)
      for (const m of [4, 69, 261])
        for (const n of [72, 13])
          for (const k of [36, 7]) {
            await checkOp({
              shapes: [stored(m, k, opts.transA), stored(k, n, opts.transB)],
              gpu: ([a, b]) => matmul(a!, b!, opts),
              ref: ([a, b]) => matmulRef(a!, b!, opts),
              rtol: 1e-4,
              atol: 1e-4,
              seed: m + n + k,
            });
          }
  });

  it('several workgroups in each direction, all operands vec4', async () => {
    await checkOp({
      shapes: [
        [132, 68],
        [68, 140],
      ],
      gpu: ([a, b]) => matmul(a!, b!),
      ref: ([a, b]) => matmulRef(a!, b!),
      rtol: 1e-4,
      atol: 1e-4,
    });
  });

  it('batched vec4 operands, broadcast on either side', async () => {
    for (const opts of TRANSPOSES) {
      const [m, n, k] = [20, 12, 16];
      const a = stored(m, k, opts.transA);
      const b = stored(k, n, opts.transB);
      for (const shapes of [
        [
          [3, ...a],
          [3, ...b],
        ],
        [[3, ...a], b],
        [a, [2, 3, ...b]],
      ]) {
        await checkOp({
          shapes,
          gpu: ([x, y]) => matmul(x!, y!, opts),
          ref: ([x, y]) => matmulRef(x!, y!, opts),
          rtol: 1e-4,
          atol: 1e-4,
        });
      }
    }
  });
});
