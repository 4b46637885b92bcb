// The kernel runtime: compiles WGSL (bindings and uniform layouts reflected with wgsl_reflect, never written
// by hand), caches pipelines by source + override constants, records every dispatch of a step into one command
// encoder that is submitted as a whole, and reads buffers back only when asked. Call sites hold kernel handles
// (defineKernel) so a dispatch resolves its pipeline by a few numbers rather than by its source; bind groups
// are cached per kernel and buffers, with uniforms at dynamic offsets into a growable arena.
import { WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';
import { BufferPool } from './buffer-pool.js';
import type { GpuContext } from './device.js';
import { shaderSource } from './shader-source.js';

/** Anything bindable as a storage buffer: a tensor, or a raw buffer with the byte range to expose. */
export interface BufferView {
  readonly buffer: GPUBuffer;
  readonly byteLength: number;
  /** Where the view starts in the buffer (0 when absent); a multiple of minStorageBufferOffsetAlignment when bound. */
  readonly byteOffset?: number;
}

export interface KernelSpec {
  /**
   * File name in shaders/ without `.wgsl`; `#include "lib/name"` lines in it are replaced by shaders/lib/name.wgsl
   * (see expandIncludes).
   */
  shader: string;
  /**
   * `{{KEY}}` placeholders replaced in the source: a variant's parameters (an op's expression, an element type, a
   * constant). Shared WGSL is included, never passed here.
   */
  template?: Record<string, string>;
  /**
   * Register-blocking counts: a line `@each(NAME) …` is repeated NAME times with `$NAME` replaced by 0, 1, …, and so
   * is every line between `@each(NAME)` alone on a line and `@end` — for per-invocation state that must be separate
   * variables rather than an array indexed in a loop (see expandRepeats).
   */
  repeat?: Record<string, number>;
  /** Pipeline-overridable constants (tile sizes, workgroup sizes, flags). */
  constants?: Record<string, number>;
  entryPoint?: string;
}

type Scalar = 'u32' | 'i32' | 'f32';
interface UniformMember {
  name: string;
  offset: number;
  words: number;
  scalar: Scalar;
}
interface BindingInfo {
  name: string;
  binding: number;
  kind: 'uniform' | 'storage' | 'read-only-storage';
}

/**
 * A kernel's source variant (shader, template values, @each counts, entry point) made once at a call site: the
 * runtime resolves it with its override constants to a compiled Kernel by the handle's id and the constants'
 * values, with no work on the source.
 */
export interface KernelDef {
  readonly id: number;
  readonly spec: Readonly<Omit<KernelSpec, 'constants'>>;
  /**
   * The WGSL the handle compiles to (includes, template values and @each blocks expanded), resolved once per handle
   * at its first use — not when it is made: handles are made as modules load, before the browser bundle has handed
   * its shader table to setShaderSources.
   */
  readonly source: string;
}

let nextKernelDefId = 0;

export function defineKernel(spec: Omit<KernelSpec, 'constants'>): KernelDef {
  let source: string | undefined;
  return {
    id: nextKernelDefId++,
    spec,
    get source() {
      return (source ??= resolveSource(spec));
    },
  };
}

/** Kernel handles made on demand, one per variant name (e.g. per elementwise op). */
export function kernelDefs<K extends string>(
  make: (variant: K) => Omit<KernelSpec, 'constants'>,
): (variant: K) => KernelDef {
  const defs = new Map<K, KernelDef>();
  return (variant) => {
    let def = defs.get(variant);
    if (!def) defs.set(variant, (def = defineKernel(make(variant))));
    return def;
  };
}

export interface Kernel {
  readonly name: string;
  readonly pipeline: GPUComputePipeline;
  readonly bindings: BindingInfo[];
  readonly uniform: { name: string; size: number; members: UniformMember[] } | null;
  readonly workgroupSize: [number, number, number];
  readonly layout: GPUBindGroupLayout;
  /** Names of the uniform struct's members (checks for unknown values). */
  readonly uniformNames: ReadonlySet<string>;
  /** Bind groups by the buffers and ranges bound (uniform data goes in at a dynamic offset). */
  readonly bindGroups: Map<string, GPUBindGroup>;
}

export type UniformValues = Record<string, number | ArrayLike<number>>;

export class GpuError extends Error {}

/** What the runtime has done on the host since it was made (the host-overhead benchmark reads differences). */
export interface RuntimeCounters {
  dispatches: number;
  /** Command buffers submitted. */
  commandBuffers: number;
  bindGroups: number;
  /** Bytes handed to queue.writeBuffer (uploads and uniform data). */
  uploadBytes: number;
  /** Milliseconds spent inside queue.submit. */
  submitMs: number;
}

/** Bytes of one uniform arena buffer; a step that needs more takes another (the arena grows, it never submits). */
const UNIFORM_ARENA_BYTES = 1 << 16;
/** Bind groups a kernel keeps; past this the kernel's cache starts over (buffers a step uses recur step to step). */
const BIND_GROUPS_PER_KERNEL = 512;

/** A number per GPUBuffer for bind-group keys (ids are never reused, so a destroyed buffer's groups are never hit). */
const bufferIds = new WeakMap<GPUBuffer, number>();
let nextBufferId = 0;
function bufferId(buffer: GPUBuffer): number {
  let id = bufferIds.get(buffer);
  if (id === undefined) bufferIds.set(buffer, (id = nextBufferId++));
  return id;
}

// wgsl_reflect describes types loosely; this is the part of its shape we read.
interface ReflectedType {
  name: string;
  size: number;
  format?: ReflectedType | null;
  count?: number;
  members?: { name: string; offset: number; size: number; type: ReflectedType }[] | null;
}

function scalarOf(type: ReflectedType): Scalar {
  if (type.format) return scalarOf(type.format);
  const short = /^vec[234]([fiu])$/.exec(type.name);
  if (short) return ({ f: 'f32', i: 'i32', u: 'u32' } as const)[short[1] as 'f' | 'i' | 'u'];
  if (type.name === 'u32' || type.name === 'i32' || type.name === 'f32') return type.name;
  throw new Error(`uniform member type '${type.name}' is not supported (use scalars, vectors or arrays of vec4)`);
}

/**
 * The shader's source with each `#include "path"` line (a whole line; path relative to shaders/, without `.wgsl`)
 * replaced by that file, itself expanded. A file goes in once per kernel, where it is first included; later
 * includes of it are dropped, so each lib file includes what it uses (WGSL declarations may come in any order). A
 * file that includes itself, directly or through others, and a path that names no shader are errors.
 */
export function expandIncludes(shader: string): string {
  const pasted = new Set<string>([shader]);
  const expand = (source: string, chain: string[]): string =>
    source.replace(/^[ \t]*#include\b(.*)$/gm, (line, rest: string) => {
      const inc = /^\s*"([\w/]+)"\s*$/.exec(rest)?.[1];
      const at = `shader '${chain.at(-1)}'`;
      if (!inc) throw new GpuError(`${at}: malformed include '${line.trim()}' (expected #include "lib/name")`);
      if (chain.includes(inc)) throw new GpuError(`${at}: include cycle ${[...chain, inc].join(' → ')}`);
      if (pasted.has(inc)) return '';
      pasted.add(inc);
      let text: string;
      try {
        text = shaderSource(inc);
      } catch (err) {
        throw new GpuError(`${at}: #include "${inc}" names no shader (${(err as Error).message})`);
      }
      return expand(text, [...chain, inc]);
    });
  return expand(shaderSource(shader), [shader]);
}

/** The kernel's name in errors and labels: the shader, and the variant's short template values and @each counts. */
function kernelName(spec: KernelSpec): string {
  // Short template values (an op's expression) name the variant; long ones (generated code) by their key.
  const variant = Object.entries(spec.template ?? {}).map(([key, value]) =>
    value.length <= 40 && !value.includes('\n') ? value : key,
  );
  for (const [key, count] of Object.entries(spec.repeat ?? {})) variant.push(`${key}×${count}`);
  return spec.shader + (variant.length ? `[${variant.join(',')}]` : '');
}

/** The WGSL a spec compiles to: includes expanded, comments dropped, template values filled, @each expanded. */
function resolveSource(spec: KernelSpec): string {
  // Comments go first, so a placeholder named in a comment is never substituted (a multi-line value
  // spliced into a comment would break the shader).
  let source = expandIncludes(spec.shader).replace(/\/\/[^\n]*/g, '');
  for (const [key, value] of Object.entries(spec.template ?? {})) source = source.replaceAll(`{{${key}}}`, value);
  const unresolved = /\{\{(\w+)\}\}/.exec(source);
  if (unresolved) throw new GpuError(`kernel '${kernelName(spec)}': template value {{${unresolved[1]}}} not given`);
  if (spec.repeat || source.includes('@each(')) source = expandRepeats(source, spec.repeat ?? {}, spec.shader);
  return source;
}

/**
 * Expands `@each(NAME)` lines and blocks (KernelSpec.repeat). Separate variables per block, not arrays: SwiftShader
 * keeps arrays indexed in loops in memory, which made matmul far slower there (`npx tsx bench/matmul.ts --backend
 * swiftshader`, bench/results/matmul-swiftshader-swiftshader.md); on llvmpipe per-block arrays were no faster.
 */
export function expandRepeats(source: string, repeat: Record<string, number>, shader: string): string {
  const lines = source.split('\n');
  const out: string[] = [];
  const copies = (name: string, body: string[]) => {
    const n = repeat[name];
    if (n === undefined) throw new GpuError(`shader ${shader}: @each(${name}) has no count in the kernel's 'repeat'`);
    // Each copy is expanded again, so blocks nest (an @each(C) inside an @each(R) block).
    for (let i = 0; i < n; i++)
      out.push(expandRepeats(body.map((line) => line.replaceAll(`$${name}`, String(i))).join('\n'), repeat, shader));
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const each = /^(\s*)@each\((\w+)\)\s*(.*)$/.exec(line);
    if (!each) {
      out.push(line);
      continue;
    }
    const [, indent, name, rest] = each as unknown as [string, string, string, string];
    if (rest) {
      copies(name, [indent + rest]);
      continue;
    }
    // The matching @end: block openers (@each alone on a line) between them nest.
    let end = -1;
    for (let j = i + 1, depth = 0; j < lines.length && end < 0; j++) {
      if (/^\s*@each\(\w+\)\s*$/.test(lines[j]!)) depth++;
      else if (/^\s*@end\s*$/.test(lines[j]!)) {
        if (depth === 0) end = j;
        else depth--;
      }
    }
    if (end < 0) throw new GpuError(`shader ${shader}: @each(${name}) block without @end`);
    copies(name, lines.slice(i + 1, end));
    i = end;
  }
  return out.join('\n');
}

export class Runtime {
  readonly device: GPUDevice;
  readonly pool: BufferPool;
  private readonly kernels = new Map<string, Kernel>();
  /** Kernels by handle id, then by override constants. */
  private readonly variants: Map<string, Kernel>[] = [];
  private encoder: GPUCommandEncoder | null = null;
  /** Consecutive dispatches share one compute pass (per-pass cost dominates on software adapters). */
  private pass: GPUComputePassEncoder | null = null;
  private stepKernels = new Set<string>();
  /** Uniform arena buffers; the step's uniform data fills them in order and is written at submit. */
  private readonly uniformArenas: { buffer: GPUBuffer; bytes: Uint8Array<ArrayBuffer>; view: DataView }[] = [];
  /** Arena buffer being filled, and bytes used in it. */
  private arenaIndex = 0;
  private arenaUsed = 0;
  private readonly uniformAlign: number;
  private pendingErrors: Promise<string | null>[] = [];
  private placeholderBuffer: GPUBuffer | null = null;
  /** Number of command buffers submitted so far (the pool's reuse epoch). */
  submits = 0;
  readonly counters: RuntimeCounters = { dispatches: 0, commandBuffers: 0, bindGroups: 0, uploadBytes: 0, submitMs: 0 };
  /** When set, every compute pass the runtime begins gets these timestamp writes (benchmarks time passes with it). */
  passTimestamps: (() => GPUComputePassTimestampWrites) | null = null;
  /**
   * When set, every dispatch runs in a compute pass of its own with these timestamp writes (a per-kernel profile;
   * it takes precedence over passTimestamps, and costs a pass per dispatch).
   */
  dispatchTimestamps: ((kernel: string, workgroups: [number, number, number]) => GPUComputePassTimestampWrites) | null =
    null;

  constructor(readonly gpu: GpuContext) {
    this.device = gpu.device;
    this.pool = new BufferPool(this.device);
    this.uniformAlign = gpu.limits.minUniformBufferOffsetAlignment ?? 256;
    this.addUniformArena();
  }

  private addUniformArena(): void {
    const buffer = this.device.createBuffer({
      size: UNIFORM_ARENA_BYTES,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      label: `uniform-arena-${this.uniformArenas.length}`,
    });
    const bytes = new Uint8Array(UNIFORM_ARENA_BYTES);
    this.uniformArenas.push({ buffer, bytes, view: new DataView(bytes.buffer) });
  }

  /**
   * A small storage buffer for a binding the kernel variant being dispatched never touches (a writable binding
   * may alias no other binding of the dispatch, so a spare output cannot borrow one of its real buffers).
   */
  get placeholder(): BufferView {
    this.placeholderBuffer ??= this.device.createBuffer({
      size: 16,
      usage: GPUBufferUsage.STORAGE,
      label: 'unused-binding',
    });
    return { buffer: this.placeholderBuffer, byteLength: 16 };
  }

  /** Alignment of a storage buffer view's byte offset on this device. */
  get storageAlign(): number {
    return this.gpu.limits.minStorageBufferOffsetAlignment ?? 256;
  }

  get limits(): Record<string, number> {
    return this.gpu.limits;
  }

  /** Most invocations a workgroup may have on this device (128 on GLES compat unless raised). */
  get maxInvocations(): number {
    return this.gpu.limits.maxComputeInvocationsPerWorkgroup ?? 128;
  }

  /** The compiled kernel of a handle with these override constants (compiled at first use). */
  kernelOf(def: KernelDef, constants?: Record<string, number>): Kernel {
    const byConstants = (this.variants[def.id] ??= new Map());
    let key = '';
    if (constants) for (const name in constants) key += `${name}=${constants[name]};`;
    let kernel = byConstants.get(key);
    if (!kernel) byConstants.set(key, (kernel = this.compiled(def.spec, def.source, constants ?? {})));
    return kernel;
  }

  /** A full spec's kernel, its source resolved on every call: for one-off kernels (hot paths use kernelOf). */
  kernel(spec: KernelSpec): Kernel {
    return this.compiled(spec, resolveSource(spec), spec.constants ?? {});
  }

  /** The kernel of a resolved source and constants, compiled once per runtime (handles with equal sources share it). */
  private compiled(spec: Omit<KernelSpec, 'constants'>, source: string, constants: Record<string, number>): Kernel {
    const key = `${source}\u0000${JSON.stringify(Object.entries(constants).sort())}\u0000${spec.entryPoint ?? ''}`;
    let kernel = this.kernels.get(key);
    if (!kernel) this.kernels.set(key, (kernel = this.compile(spec, source, constants)));
    return kernel;
  }

  private compile(spec: Omit<KernelSpec, 'constants'>, source: string, constants: Record<string, number>): Kernel {
    const name = kernelName(spec);
    const reflect = new WgslReflect(source);
    const entry = spec.entryPoint
      ? reflect.entry.compute.find((e) => e.name === spec.entryPoint)
      : reflect.entry.compute[0];
    if (!entry) throw new GpuError(`kernel '${name}': no compute entry point ${spec.entryPoint ?? ''}`);

    const bindings: BindingInfo[] = [];
    let uniform: Kernel['uniform'] = null;
    for (const group of reflect.getBindGroups()) {
      for (const b of group) {
        if (!b) continue;
        if (b.group !== 0) throw new GpuError(`kernel '${name}': only @group(0) is supported`);
        const isUniform = (b.resourceType as number) === 0;
        bindings.push({
          name: b.name,
          binding: b.binding,
          kind: isUniform ? 'uniform' : b.access === 'read' ? 'read-only-storage' : 'storage',
        });
        if (isUniform) {
          const type = b.type as unknown as ReflectedType;
          uniform = {
            name: b.name,
            size: type.size,
            members: (type.members ?? []).map((m) => ({
              name: m.name,
              offset: m.offset,
              words: m.size / 4,
              scalar: scalarOf(m.type),
            })),
          };
        }
      }
    }

    const workgroupSize = this.workgroupSize(entry, constants);
    const threads = workgroupSize[0] * workgroupSize[1] * workgroupSize[2];
    if (threads > this.maxInvocations) {
      throw new GpuError(
        `kernel '${name}': workgroup of ${threads} invocations exceeds this device's ${this.maxInvocations}`,
      );
    }

    this.device.pushErrorScope('validation');
    const module = this.device.createShaderModule({ code: source, label: name });
    const layout = this.device.createBindGroupLayout({
      label: name,
      entries: bindings.map((b) => ({
        binding: b.binding,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: b.kind, hasDynamicOffset: b.kind === 'uniform' },
      })),
    });
    const pipeline = this.device.createComputePipeline({
      label: name,
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout], label: name }),
      compute: { module, entryPoint: entry.name, constants },
    });
    this.trackError(this.device.popErrorScope(), `kernel '${name}' failed to compile`);
    const uniformNames = new Set(uniform?.members.map((m) => m.name) ?? []);
    return { name, pipeline, bindings, uniform, workgroupSize, layout, uniformNames, bindGroups: new Map() };
  }

  /** The entry's @workgroup_size with override constants applied (reflection alone gives the defaults). */
  private workgroupSize(
    entry: { workgroupSize: unknown; attributes?: { name: string; value: unknown }[] | null },
    constants: Record<string, number>,
  ): [number, number, number] {
    const defaults = (Array.isArray(entry.workgroupSize) ? entry.workgroupSize : [1, 1, 1]) as number[];
    const raw = entry.attributes?.find((a) => a.name === 'workgroup_size')?.value;
    // One expression comes as a string, several as an array.
    const exprs = Array.isArray(raw) ? (raw as unknown[]) : raw == null ? [] : [raw];
    return [0, 1, 2].map((i) => {
      const expr = exprs[i];
      if (typeof expr === 'string' && expr in constants) return constants[expr]!;
      return defaults[i] ?? 1;
    }) as [number, number, number];
  }

  private trackError(scope: Promise<GPUError | null>, context: string): void {
    this.pendingErrors.push(scope.then((e) => (e ? `${context}: ${e.message}` : null)));
  }

  /** The step's encoder, outside any compute pass (for copies and clears). */
  private get commandEncoder(): GPUCommandEncoder {
    this.endPass();
    return this.passEncoder;
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
  }

  private get passEncoder(): GPUCommandEncoder {
    if (!this.encoder) {
      this.assertAlive();
      this.device.pushErrorScope('out-of-memory');
      this.device.pushErrorScope('validation');
      this.encoder = this.device.createCommandEncoder({ label: 'step' });
    }
    return this.encoder;
  }

  /** Records one dispatch into the current step. */
  dispatch(
    kernel: Kernel,
    buffers: Record<string, BufferView>,
    uniforms: UniformValues,
    workgroups: readonly number[],
  ): void {
    const [x = 1, y = 1, z = 1] = workgroups;
    if (x * y * z === 0) return;
    const maxDim = this.limits.maxComputeWorkgroupsPerDimension ?? 65535;
    if (x > maxDim || y > maxDim || z > maxDim) {
      throw new GpuError(`kernel '${kernel.name}': dispatch ${x}×${y}×${z} exceeds ${maxDim} workgroups per dimension`);
    }
    const uniformOffset = kernel.uniform ? this.writeUniforms(kernel, uniforms) : -1;
    const bindGroup = this.bindGroup(kernel, buffers);
    if (this.dispatchTimestamps) {
      this.endPass();
      this.pass = this.passEncoder.beginComputePass({
        label: kernel.name,
        timestampWrites: this.dispatchTimestamps(kernel.name, [x, y, z]),
      });
    }
    this.pass ??= this.passEncoder.beginComputePass(
      this.passTimestamps ? { label: 'step', timestampWrites: this.passTimestamps() } : { label: 'step' },
    );
    this.pass.setPipeline(kernel.pipeline);
    if (uniformOffset >= 0) this.pass.setBindGroup(0, bindGroup, [uniformOffset]);
    else this.pass.setBindGroup(0, bindGroup);
    this.pass.dispatchWorkgroups(x, y, z);
    this.counters.dispatches++;
    this.stepKernels.add(kernel.name);
    if (this.dispatchTimestamps) this.endPass();
  }

  /**
   * The kernel's bind group for these buffers and the arena buffer being filled, made once per distinct set of
   * buffers and ranges (the uniform binding's offset is dynamic, so it takes no part).
   */
  private bindGroup(kernel: Kernel, buffers: Record<string, BufferView>): GPUBindGroup {
    let key = kernel.uniform ? `${this.arenaIndex}` : '';
    for (const b of kernel.bindings) {
      if (b.kind === 'uniform') continue;
      const view = buffers[b.name];
      if (!view) throw new GpuError(`kernel '${kernel.name}': no buffer given for binding '${b.name}'`);
      key += `|${bufferId(view.buffer)}:${view.byteOffset ?? 0}:${view.byteLength}`;
    }
    let group = kernel.bindGroups.get(key);
    if (group) return group;
    const entries: GPUBindGroupEntry[] = kernel.bindings.map((b) => {
      if (b.kind === 'uniform')
        return {
          binding: b.binding,
          resource: { buffer: this.uniformArenas[this.arenaIndex]!.buffer, offset: 0, size: kernel.uniform!.size },
        };
      const view = buffers[b.name]!;
      return {
        binding: b.binding,
        resource: { buffer: view.buffer, offset: view.byteOffset ?? 0, size: Math.max(4, view.byteLength) },
      };
    });
    group = this.device.createBindGroup({ layout: kernel.layout, entries, label: kernel.name });
    this.counters.bindGroups++;
    if (kernel.bindGroups.size >= BIND_GROUPS_PER_KERNEL) kernel.bindGroups.clear();
    kernel.bindGroups.set(key, group);
    return group;
  }

  /** Writes the dispatch's uniform values into the arena; returns their offset in the arena buffer being filled. */
  private writeUniforms(kernel: Kernel, values: UniformValues): number {
    const layout = kernel.uniform!;
    const size = Math.ceil(layout.size / this.uniformAlign) * this.uniformAlign;
    if (this.arenaUsed + size > UNIFORM_ARENA_BYTES) {
      // The arena grows by a buffer (all are written at submit): a step never ends early for uniform space.
      this.arenaIndex++;
      this.arenaUsed = 0;
      if (this.arenaIndex === this.uniformArenas.length) this.addUniformArena();
    }
    const offset = this.arenaUsed;
    this.arenaUsed += size;
    const view = this.uniformArenas[this.arenaIndex]!.view;
    for (const m of layout.members) {
      const v = values[m.name];
      if (v === undefined) throw new GpuError(`kernel '${kernel.name}': uniform '${m.name}' not given`);
      const list = typeof v === 'number' ? [v] : v;
      if (list.length > m.words)
        throw new GpuError(`kernel '${kernel.name}': uniform '${m.name}' takes ${m.words} values, got ${list.length}`);
      for (let i = 0; i < list.length; i++) {
        const at = offset + m.offset + 4 * i;
        if (m.scalar === 'f32') view.setFloat32(at, list[i]!, true);
        else if (m.scalar === 'i32') view.setInt32(at, list[i]!, true);
        else view.setUint32(at, list[i]!, true);
      }
    }
    for (const name in values) {
      if (!kernel.uniformNames.has(name)) throw new GpuError(`kernel '${kernel.name}': unknown uniform '${name}'`);
    }
    return offset;
  }

  /** Records a copy between buffers into the current step. */
  copy(src: BufferView, dst: BufferView, bytes = Math.min(src.byteLength, dst.byteLength)): void {
    if (bytes > 0)
      this.commandEncoder.copyBufferToBuffer(src.buffer, src.byteOffset ?? 0, dst.buffer, dst.byteOffset ?? 0, bytes);
  }

  /** Records a zero-fill of the view's bytes. */
  clear(view: BufferView): void {
    const bytes = Math.ceil(view.byteLength / 4) * 4;
    if (bytes > 0) this.commandEncoder.clearBuffer(view.buffer, view.byteOffset ?? 0, bytes);
  }

  /**
   * Uploads host data. queue.writeBuffer lands before any command still waiting in the open encoder, so an
   * upload into a buffer that recorded commands touch submits them first; `fresh` (a buffer just taken from
   * the pool, which no unsubmitted command can reference) skips that.
   */
  upload(view: BufferView, data: ArrayBufferView, { fresh = false } = {}): void {
    this.assertAlive();
    if (!fresh) this.flush();
    this.device.queue.writeBuffer(view.buffer, view.byteOffset ?? 0, data.buffer, data.byteOffset, data.byteLength);
    this.counters.uploadBytes += data.byteLength;
  }

  /** Submits everything recorded so far as one command buffer. */
  flush(): void {
    if (!this.encoder) return;
    this.endPass();
    for (let i = 0; i <= this.arenaIndex; i++) {
      const arena = this.uniformArenas[i]!;
      const used = i < this.arenaIndex ? UNIFORM_ARENA_BYTES : this.arenaUsed;
      if (used > 0) this.device.queue.writeBuffer(arena.buffer, 0, arena.bytes, 0, used);
      this.counters.uploadBytes += used;
    }
    const commands = this.encoder.finish();
    const submitStart = performance.now();
    this.device.queue.submit([commands]);
    this.counters.submitMs += performance.now() - submitStart;
    this.counters.commandBuffers++;
    const kernels = [...this.stepKernels].join(', ');
    this.trackError(this.device.popErrorScope(), `GPU validation error in a step running [${kernels}]`);
    this.trackError(this.device.popErrorScope(), `GPU out of memory in a step running [${kernels}]`);
    this.encoder = null;
    this.arenaIndex = 0;
    this.arenaUsed = 0;
    this.stepKernels = new Set();
    this.submits++;
    this.pool.onSubmitted();
  }

  /** Submits, waits for the GPU, and throws the first validation/OOM error recorded since the last check. */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    await this.throwPendingErrors();
  }

  private async throwPendingErrors(): Promise<void> {
    const pending = this.pendingErrors;
    this.pendingErrors = [];
    const messages = (await Promise.all(pending)).filter((m): m is string => m !== null);
    this.assertAlive();
    if (messages.length) throw new GpuError(messages.join('\n'));
  }

  private assertAlive(): void {
    const lost = this.gpu.lost;
    if (lost) throw new GpuError(`GPU device lost (${lost.reason}): ${lost.message}`);
  }

  /** Reads a buffer back to the host (submits the step first). */
  async read(view: BufferView, bytes = view.byteLength): Promise<ArrayBuffer> {
    const size = Math.ceil(bytes / 4) * 4;
    const staging = this.device.createBuffer({
      size: Math.max(size, 4),
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      label: 'readback',
    });
    if (size > 0) this.commandEncoder.copyBufferToBuffer(view.buffer, view.byteOffset ?? 0, staging, 0, size);
    this.flush();
    try {
      await staging.mapAsync(GPUMapMode.READ);
      const out = staging.getMappedRange(0, size).slice(0, bytes);
      staging.unmap();
      await this.throwPendingErrors();
      return out;
    } catch (err) {
      await this.throwPendingErrors();
      throw err;
    } finally {
      staging.destroy();
    }
  }
}

/**
 * Workgroup counts covering `count` items, `perGroup` per workgroup, folded into y when x would pass the
 * 65,535-per-dimension limit. Kernels recover the linear index as gid.x + gid.y * groups.x * WG.
 */
export function grid1d(count: number, perGroup: number, maxPerDim = 65535): [number, number] {
  const groups = Math.ceil(count / perGroup);
  if (groups <= maxPerDim) return [groups, 1];
  const y = Math.ceil(groups / maxPerDim);
  return [Math.ceil(groups / y), y];
}
