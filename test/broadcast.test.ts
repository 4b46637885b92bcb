// collapseBroadcast: fewer dimensions, the same element mapping as the full broadcast (what binary() launches).
import { describe, expect, it } from 'vitest';
import { broadcastShapes, broadcastStrides, collapseBroadcast, forEachBroadcast } from '../src/tensor/host.js';

function mapping(shape: number[], a: number[], b: number[]): number[][] {
  const out: number[][] = [];
  forEachBroadcast(shape, a, b, (i, ia, ib) => out.push([i, ia, ib]));
  return out;
}

describe('collapseBroadcast', () => {
  const pairs: [number[], number[]][] = [
    [
      [4, 5, 6],
      [4, 5, 6],
    ],
    [
      [4, 1, 5, 6],
      [5, 6],
    ],
    [[65, 3], [3]],
    [
      [3, 1, 17],
      [1, 65, 1],
    ],
    [
      [2, 3, 1, 5],
      [3, 17, 1],
    ],
    [[1, 1], [1]],
    [
      [7, 1],
      [1, 9],
    ],
  ];
  for (const [sa, sb] of pairs) {
    it(`[${sa}] with [${sb}]`, () => {
      const shape = broadcastShapes(sa, sb);
      const [a, b] = [broadcastStrides(sa, shape), broadcastStrides(sb, shape)];
      const c = collapseBroadcast(shape, a, b);
      expect(mapping(c.shape, c.a, c.b)).toEqual(mapping(shape, a, b));
      expect(c.shape.every((d) => d > 1) || c.shape.length === 1).toBe(true);
    });
  }

  it('same shapes become one dimension, a bias add two', () => {
    expect(collapseBroadcast([4, 5, 6], [30, 6, 1], [30, 6, 1])).toEqual({ shape: [120], a: [1], b: [1] });
    expect(collapseBroadcast([4, 5, 6], [30, 6, 1], [0, 0, 1])).toEqual({ shape: [20, 6], a: [6, 1], b: [0, 1] });
  });
});
