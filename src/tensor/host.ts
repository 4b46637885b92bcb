// Host tensors in float64: the data type of every CPU reference (the test oracle for the GPU kernels).
import { sizeOf, stridesOf, type Shape } from './tensor.js';

export interface HostTensor {
  shape: number[];
  data: Float64Array;
}

export function host(data: ArrayLike<number>, shape: Shape): HostTensor {
  if (data.length !== sizeOf(shape)) throw new Error(`${data.length} values given for shape [${shape.join(', ')}]`);
  return { shape: [...shape], data: Float64Array.from(data) };
}

/** NumPy broadcasting of two shapes; throws on incompatible shapes. */
export function broadcastShapes(a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1)
      throw new Error(`shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Strides to read a tensor of `shape` as if it had `outShape` (0 along broadcast dimensions). */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const strides = stridesOf(shape);
  const offset = outShape.length - shape.length;
  return outShape.map((_, i) => (i < offset || shape[i - offset] === 1 ? 0 : strides[i - offset]!));
}

/**
 * The same element-to-element mapping with fewest dimensions: extent-1 dimensions dropped and neighbours merged
 * wherever both operands walk them as one (stride of the outer = stride of the inner × its extent, which includes
 * two broadcast dimensions). Same-shape operands become rank 1; a bias add [n, c] + [c] stays rank 2.
 */
export function collapseBroadcast(
  outShape: Shape,
  aStrides: number[],
  bStrides: number[],
): { shape: number[]; a: number[]; b: number[] } {
  const shape: number[] = [];
  const a: number[] = [];
  const b: number[] = [];
  outShape.forEach((extent, d) => {
    if (extent === 1) return;
    const last = shape.length - 1;
    if (last >= 0 && a[last] === aStrides[d]! * extent && b[last] === bStrides[d]! * extent) {
      shape[last]! *= extent;
      a[last] = aStrides[d]!;
      b[last] = bStrides[d]!;
      return;
    }
    shape.push(extent);
    a.push(aStrides[d]!);
    b.push(bStrides[d]!);
  });
  if (shape.length === 0) return { shape: [1], a: [0], b: [0] };
  return { shape, a, b };
}

/** Calls fn(outIndex, aIndex, bIndex) for every element of the broadcast result. */
export function forEachBroadcast(
  outShape: Shape,
  aStrides: number[],
  bStrides: number[],
  fn: (i: number, ia: number, ib: number) => void,
): void {
  const n = sizeOf(outShape);
  const coords = new Array<number>(outShape.length).fill(0);
  for (let i = 0; i < n; i++) {
    let ia = 0;
    let ib = 0;
    for (let d = 0; d < coords.length; d++) {
      ia += coords[d]! * aStrides[d]!;
      ib += coords[d]! * bStrides[d]!;
    }
    fn(i, ia, ib);
    for (let d = coords.length - 1; d >= 0; d--) {
      if (++coords[d]! < outShape[d]!) break;
      coords[d] = 0;
    }
  }
}
