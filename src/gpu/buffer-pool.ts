// Size-class pool of storage buffers. A released buffer becomes reusable only after the work recorded
// while it was live has been submitted: queue.writeBuffer runs on the queue timeline before any
// not-yet-submitted command buffer, so handing out a buffer that an unsubmitted dispatch still reads would
// let a later upload overwrite its contents. After each submit the free lists are put back in creation
// order, so a step that repeats the previous one's allocations gets the same buffers (and the runtime's
// cached bind groups for them).

// STORAGE | COPY_SRC | COPY_DST by their spec values, so this module loads before any WebGPU globals exist.
export const STORAGE_USAGE = 0x0080 | 0x0004 | 0x0008;

/** Size classes are 2^k and 1.5·2^k bytes (at least 256), so at most a third of a pooled buffer is unused. */
export function sizeClass(bytes: number): number {
  const min = 256;
  if (bytes <= min) return min;
  const pow = 2 ** Math.ceil(Math.log2(bytes));
  const threeQuarters = (pow / 4) * 3;
  return bytes <= threeQuarters ? threeQuarters : pow;
}

export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  private pendingFree: GPUBuffer[] = [];
  private readonly sizes = new WeakMap<GPUBuffer, number>();
  /** Creation order of each buffer (free lists hand out the earliest made first). */
  private readonly order = new WeakMap<GPUBuffer, number>();
  private created = 0;
  /** Bytes in buffers currently handed out (held by live tensors). */
  liveBytes = 0;
  /** Bytes in every buffer this pool ever created and has not destroyed. */
  allocatedBytes = 0;

  constructor(private readonly device: GPUDevice) {}

  /** A buffer of at least `bytes`; `label` names a buffer made new (a function: evaluated only then). */
  acquire(bytes: number, label?: string | (() => string)): GPUBuffer {
    const size = sizeClass(Math.max(bytes, 4));
    const list = this.free.get(size);
    let buffer = list?.pop();
    if (!buffer) {
      buffer = this.device.createBuffer({
        size,
        usage: STORAGE_USAGE,
        label: typeof label === 'function' ? label() : label,
      });
      this.sizes.set(buffer, size);
      this.order.set(buffer, this.created++);
      this.allocatedBytes += size;
    }
    this.liveBytes += size;
    return buffer;
  }

  /** Returns a buffer to the pool; it is reused after the next submit. */
  release(buffer: GPUBuffer): void {
    this.liveBytes -= this.sizes.get(buffer) ?? 0;
    this.pendingFree.push(buffer);
  }

  /** Called by the runtime right after queue.submit. */
  onSubmitted(): void {
    if (!this.pendingFree.length) return;
    const touched = new Set<GPUBuffer[]>();
    for (const buffer of this.pendingFree) {
      const size = this.sizes.get(buffer)!;
      let list = this.free.get(size);
      if (!list) this.free.set(size, (list = []));
      list.push(buffer);
      touched.add(list);
    }
    this.pendingFree = [];
    // Latest made first in the array: pop() takes the earliest.
    for (const list of touched) list.sort((a, b) => this.order.get(b)! - this.order.get(a)!);
  }

  /** Destroys all idle buffers (live ones stay). */
  trim(): void {
    for (const list of this.free.values()) {
      for (const buffer of list) {
        this.allocatedBytes -= this.sizes.get(buffer) ?? 0;
        buffer.destroy();
      }
    }
    this.free.clear();
  }
}
