// The memory the pipeline's main thread and its workers share: a fixed number of image slots (pixels, a
// status word to wait on, room for a one-line error). Its size bounds the pipeline's memory, whatever the
// length of the data set.

export const SLOT_PENDING = 0;
export const SLOT_DONE = 1;
export const SLOT_FAILED = 2;
const MESSAGE_BYTES = 512;

export interface SlotBuffers {
  pixels: SharedArrayBuffer;
  status: SharedArrayBuffer;
  messages: SharedArrayBuffer;
}

export class SharedSlots {
  readonly pixels: Float32Array;
  readonly status: Int32Array;
  private readonly messages: Uint8Array;

  constructor(
    readonly buffers: SlotBuffers,
    readonly plane: number,
  ) {
    this.pixels = new Float32Array(buffers.pixels);
    this.status = new Int32Array(buffers.status);
    this.messages = new Uint8Array(buffers.messages);
  }

  static allocate(slots: number, plane: number): SharedSlots {
    return new SharedSlots(
      {
        pixels: new SharedArrayBuffer(slots * plane * 4),
        status: new SharedArrayBuffer(slots * 4),
        messages: new SharedArrayBuffer(slots * MESSAGE_BYTES),
      },
      plane,
    );
  }

  get count(): number {
    return this.status.length;
  }

  finish(slot: number, pixels: Float32Array): void {
    this.pixels.set(pixels, slot * this.plane);
    Atomics.store(this.status, slot, SLOT_DONE);
    Atomics.notify(this.status, slot);
  }

  fail(slot: number, message: string): void {
    const bytes = new TextEncoder().encode(message).subarray(0, MESSAGE_BYTES - 2);
    this.messages[slot * MESSAGE_BYTES] = bytes.length & 0xff;
    this.messages[slot * MESSAGE_BYTES + 1] = bytes.length >> 8;
    this.messages.set(bytes, slot * MESSAGE_BYTES + 2);
    Atomics.store(this.status, slot, SLOT_FAILED);
    Atomics.notify(this.status, slot);
  }

  message(slot: number): string {
    const at = slot * MESSAGE_BYTES;
    const length = this.messages[at]! | (this.messages[at + 1]! << 8);
    return new TextDecoder().decode(this.messages.slice(at + 2, at + 2 + length));
  }

  /** Blocks until the slot is no longer pending; null after `timeoutMs`. */
  wait(slot: number, timeoutMs = Infinity): number | null {
    const deadline = performance.now() + timeoutMs;
    while (Atomics.load(this.status, slot) === SLOT_PENDING) {
      if (performance.now() > deadline) return null;
      Atomics.wait(this.status, slot, SLOT_PENDING, 1000);
    }
    return Atomics.load(this.status, slot);
  }
}
