// Tensors: a shape, a dtype and a pooled GPU buffer (or a range of an arena buffer shared with other tensors),
// row-major and contiguous. Lifetime is explicit: `dispose()`, or `tidy(fn)`, which disposes every tensor
// created inside fn except those it returns or keeps.
import { STORAGE_USAGE } from '../gpu/buffer-pool.js';
import type { BufferView, Runtime } from '../gpu/runtime.js';

export type DType = 'f32' | 'i32' | 'u32';
export type Shape = readonly number[];
export type TypedArrayFor<D extends DType> = D extends 'f32'
  ? Float32Array
  : D extends 'i32'
    ? Int32Array
    : Uint32Array;

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`invalid shape [${shape.join(', ')}]`);
    n *= d;
  }
  return n;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Row-major strides, in elements. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

type Scope = Set<Tensor>;
const scopes: Scope[] = [];

/**
 * One large storage buffer holding many tensors at byte offsets (an optimizer's parameters or gradients), so
 * one dispatch can update them all. Tensors moved in (Tensor.moveTo) own their range: the buffer is destroyed
 * once the arena is closed and the last of them is disposed.
 */
export class BufferArena {
  readonly buffer: GPUBuffer;
  private owners = 0;
  private closed = false;
  destroyed = false;

  constructor(
    readonly runtime: Runtime,
    readonly byteLength: number,
    label: string,
  ) {
    this.buffer = runtime.device.createBuffer({
      size: Math.max(4, Math.ceil(byteLength / 4) * 4),
      usage: STORAGE_USAGE,
      label,
    });
  }

  /** A tensor over [byteOffset, byteOffset + 4·size) that the arena's owner manages: its dispose() does nothing. */
  slice(byteOffset: number, shape: Shape): Tensor {
    return new ArenaSlice(this, byteOffset, shape);
  }

  addOwner(): void {
    this.owners++;
  }

  dropOwner(): void {
    this.owners--;
    this.destroyIfUnused();
  }

  /** The arena's maker is done with it; the buffer goes once no tensor owns a range. */
  close(): void {
    this.closed = true;
    this.destroyIfUnused();
  }

  private destroyIfUnused(): void {
    if (!this.closed || this.owners > 0 || this.destroyed) return;
    // Recorded commands may still name the buffer: submit them before it goes.
    this.runtime.flush();
    this.buffer.destroy();
    this.destroyed = true;
  }
}

export class Tensor implements BufferView {
  readonly size: number;
  private _buffer: GPUBuffer | null;
  /** Autograd (src/tensor/tape.ts): whether backward() computes a gradient for this tensor. */
  requiresGrad = false;
  /** Autograd: the gradient accumulated by backward() on a leaf (a tensor no recorded op produced). */
  grad: Tensor | null = null;
  /**
   * Where backward() leaves this leaf's gradient when an optimizer keeps gradients in an arena (then .grad is
   * this slot once a gradient arrived); null otherwise.
   */
  gradSlot: Tensor | null = null;
  private arena: BufferArena | null = null;
  private _byteOffset = 0;

  constructor(
    readonly runtime: Runtime,
    readonly shape: Shape,
    readonly dtype: DType = 'f32',
    buffer?: GPUBuffer,
  ) {
    this.size = sizeOf(shape);
    this._buffer = buffer ?? runtime.pool.acquire(this.size * 4, () => `tensor[${shape.join('x')}]`);
    scopes.at(-1)?.add(this);
  }

  get buffer(): GPUBuffer {
    if (!this._buffer) throw new Error(`tensor [${this.shape.join(', ')}] used after dispose`);
    return this._buffer;
  }

  get byteLength(): number {
    return this.size * 4;
  }

  get byteOffset(): number {
    return this._byteOffset;
  }

  /**
   * Moves this tensor's values to [byteOffset, …) of an arena (a recorded copy) and gives up its old storage;
   * reshaped views of it follow. Used by optimizers to gather parameters into one buffer.
   */
  moveTo(arena: BufferArena, byteOffset: number): void {
    const target = { buffer: arena.buffer, byteOffset, byteLength: this.byteLength };
    this.runtime.copy(this, target);
    const old = this.buffer;
    const oldArena = this.arena;
    this._buffer = arena.buffer;
    this._byteOffset = byteOffset;
    this.arena = arena;
    arena.addOwner();
    if (oldArena) oldArena.dropOwner();
    else this.runtime.pool.release(old);
  }

  get rank(): number {
    return this.shape.length;
  }

  get disposed(): boolean {
    return this._buffer === null;
  }

  dispose(): void {
    if (!this._buffer) return;
    if (this.arena) this.arena.dropOwner();
    else this.runtime.pool.release(this._buffer);
    this._buffer = null;
    for (const scope of scopes) scope.delete(this);
  }

  /** Takes this tensor out of every enclosing tidy scope: the caller owns it. */
  keep(): this {
    for (const scope of scopes) scope.delete(this);
    return this;
  }

  /** Same buffer seen with another shape of the same size (no copy). The view owns nothing. */
  reshape(shape: Shape): Tensor {
    const resolved = resolveShape(shape, this.size);
    return new TensorView(this, 0, resolved);
  }

  /**
   * `shape` elements of the same buffer from `byteOffset` bytes past this tensor's start (no copy; the view owns
   * nothing): a part of a larger result, such as one plane of a batched product.
   */
  view(byteOffset: number, shape: Shape): Tensor {
    return new TensorView(this, byteOffset, shape);
  }

  async read(): Promise<TypedArrayFor<DType>> {
    const bytes = await this.runtime.read(this);
    return this.dtype === 'f32'
      ? new Float32Array(bytes)
      : this.dtype === 'i32'
        ? new Int32Array(bytes)
        : new Uint32Array(bytes);
  }

  toString(): string {
    return `Tensor(${this.dtype}[${this.shape.join(', ')}])`;
  }
}

/**
 * An alias of another tensor's buffer: the same range with another shape (reshape), or a part of it at a byte
 * offset (view). Its dispose does nothing to the base.
 */
class TensorView extends Tensor {
  constructor(
    private readonly base: Tensor,
    private readonly offset: number,
    shape: Shape,
  ) {
    super(base.runtime, shape, base.dtype, base.buffer);
    if (offset < 0 || offset % 4 !== 0 || offset + this.byteLength > base.byteLength)
      throw new Error(
        `view [${offset}, ${offset + this.byteLength}) lies outside its tensor's ${base.byteLength} bytes`,
      );
  }
  override get buffer(): GPUBuffer {
    return this.base.buffer;
  }
  override get byteOffset(): number {
    return this.base.byteOffset + this.offset;
  }
  override moveTo(): void {
    throw new Error('moveTo on a view: move the tensor it views');
  }
  override get disposed(): boolean {
    return this.base.disposed;
  }
  override dispose(): void {
    for (const scope of scopes) scope.delete(this);
  }
}

/** A range of an arena managed by the arena's maker (a gradient slot): dispose() does nothing to it. */
class ArenaSlice extends Tensor {
  constructor(
    private readonly owner: BufferArena,
    private readonly offset: number,
    shape: Shape,
  ) {
    super(owner.runtime, shape, 'f32', owner.buffer);
    if (offset + this.byteLength > owner.byteLength)
      throw new Error(
        `arena slice [${offset}, ${offset + this.byteLength}) exceeds the arena's ${owner.byteLength} bytes`,
      );
  }
  override get buffer(): GPUBuffer {
    if (this.owner.destroyed) throw new Error(`tensor [${this.shape.join(', ')}] used after its arena was released`);
    return this.owner.buffer;
  }
  override get byteOffset(): number {
    return this.offset;
  }
  override moveTo(): void {
    throw new Error('moveTo on an arena slice');
  }
  override get disposed(): boolean {
    return this.owner.destroyed;
  }
  override dispose(): void {
    for (const scope of scopes) scope.delete(this);
  }
}

function resolveShape(shape: Shape, size: number): number[] {
  const out = [...shape];
  const free = out.indexOf(-1);
  if (free >= 0) out[free] = size / sizeOf(out.filter((_, i) => i !== free));
  if (sizeOf(out) !== size) throw new Error(`cannot reshape ${size} elements to [${shape.join(', ')}]`);
  return out;
}

function collectTensors(value: unknown, into: Set<Tensor>, seen = new Set<unknown>()): void {
  if (value instanceof Tensor) into.add(value);
  else if (value && typeof value === 'object' && !seen.has(value)) {
    seen.add(value);
    for (const v of Array.isArray(value) ? value : Object.values(value)) collectTensors(v, into, seen);
  }
}

function closeScope(scope: Scope, result: unknown): void {
  scopes.pop();
  const returned = new Set<Tensor>();
  collectTensors(result, returned);
  for (const t of scope) {
    if (returned.has(t)) scopes.at(-1)?.add(t);
    else t.dispose();
  }
}

/** Runs fn and disposes every tensor it created, except those in its result (or kept). */
export function tidy<T>(fn: () => T): T {
  const scope: Scope = new Set();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    closeScope(scope, undefined);
    throw err;
  }
  closeScope(scope, result);
  return result;
}

/** tidy for async work: no other tidy may interleave with fn's awaits. */
export async function tidyAsync<T>(fn: () => Promise<T>): Promise<T> {
  const scope: Scope = new Set();
  scopes.push(scope);
  let result: T;
  try {
    result = await fn();
  } catch (err) {
    closeScope(scope, undefined);
    throw err;
  }
  closeScope(scope, result);
  return result;
}

export function tensorFrom(runtime: Runtime, data: ArrayLike<number>, shape: Shape, dtype: DType = 'f32'): Tensor {
  const t = new Tensor(runtime, shape, dtype);
  if (data.length !== t.size) throw new Error(`${data.length} values given for shape [${shape.join(', ')}]`);
  const typed =
    dtype === 'f32' ? Float32Array.from(data) : dtype === 'i32' ? Int32Array.from(data) : Uint32Array.from(data);
  runtime.upload(t, typed, { fresh: true });
  return t;
}

export function zeros(runtime: Runtime, shape: Shape, dtype: DType = 'f32'): Tensor {
  const t = new Tensor(runtime, shape, dtype);
  runtime.clear(t);
  return t;
}
