// Image decoding off the main thread: worker threads decode, fit and cache images into a fixed set of
// shared slots while the GPU trains on the previous batch. The trainer's step is synchronous, so the main
// thread takes a result by blocking on the slot's status word (Atomics.wait) — in a well-fed run the result
// is already there. Requests are keyed (sample and epoch); a prefetch that finds no free slot is dropped,
// and the request comes again when the batch is taken. With 0 workers everything is decoded in-line.
import { Worker } from 'node:worker_threads';
import { Decoder, type DecodeJob, type DecodeSettings } from './decode-job.js';
import { SharedSlots, SLOT_FAILED, SLOT_PENDING } from './shared-slots.js';

export interface ImagePipelineOptions extends DecodeSettings {
  /** Worker threads; 0 decodes on the calling thread. */
  workers: number;
  /** Images decoded ahead at most (shared memory: slots × size² × 4 bytes). */
  slots: number;
}

export type ImageJob = Omit<DecodeJob, 'slot'>;

/** A worker that has not answered in this long has died (a full film decodes in well under a second). */
const WORKER_TIMEOUT_MS = 120_000;

export class ImagePipeline {
  private readonly slots: SharedSlots;
  private readonly free: number[];
  private readonly inFlight = new Map<string, number>();
  private readonly workers: Worker[] = [];
  private readonly inline: Decoder;
  private next = 0;
  /** Milliseconds spent waiting in take() (decoding in-line counts as waiting). */
  waitMs = 0;

  constructor(readonly options: ImagePipelineOptions) {
    if (!(Number.isInteger(options.slots) && options.slots >= 1))
      throw new Error(`image pipeline: slots must be a positive integer, got ${options.slots}`);
    this.slots = SharedSlots.allocate(options.workers > 0 ? options.slots : 0, options.size * options.size);
    this.free = Array.from({ length: this.slots.count }, (_, i) => this.slots.count - 1 - i);
    this.inline = new Decoder(options);
    const settings: DecodeSettings = { size: options.size, fit: options.fit, cacheDir: options.cacheDir };
    for (let w = 0; w < options.workers; w++) {
      const worker = new Worker(new URL('./worker-entry.mjs', import.meta.url), {
        workerData: { settings, buffers: this.slots.buffers },
      });
      worker.unref();
      this.workers.push(worker);
    }
  }

  /** Free slots (a caller keeps room for the batch it is about to take). */
  get available(): number {
    return this.free.length;
  }

  /** Starts decoding unless the key is already in flight; false when no slot is free (or no workers). */
  request(key: string, job: ImageJob): boolean {
    if (this.inFlight.has(key)) return true;
    const slot = this.free.pop();
    if (slot === undefined) return false;
    Atomics.store(this.slots.status, slot, SLOT_PENDING);
    this.inFlight.set(key, slot);
    this.workers[this.next++ % this.workers.length]!.postMessage({ ...job, slot } satisfies DecodeJob);
    return true;
  }

  /** The key's pixels (requesting them first if needed); throws the decoder's one-line error. */
  take(key: string, job: ImageJob): Float32Array {
    const started = performance.now();
    try {
      if (!this.request(key, job)) return this.inline.run(job);
      const slot = this.inFlight.get(key)!;
      const status = this.slots.wait(slot, WORKER_TIMEOUT_MS);
      if (status === null)
        throw new Error(
          `${job.path}: no decoding result after ${WORKER_TIMEOUT_MS / 1000} s (a decoding worker thread stopped; try --data-workers 0)`,
        );
      this.inFlight.delete(key);
      this.free.push(slot);
      if (status === SLOT_FAILED) throw new Error(this.slots.message(slot));
      const plane = this.slots.plane;
      return this.slots.pixels.slice(slot * plane, (slot + 1) * plane);
    } finally {
      this.waitMs += performance.now() - started;
    }
  }

  /** Forgets requests no longer wanted, once their workers are done with them. */
  discard(keys: Iterable<string>): void {
    for (const key of keys) {
      const slot = this.inFlight.get(key);
      if (slot === undefined) continue;
      // A slot whose worker never answers stays taken: it could still be written to.
      if (this.slots.wait(slot, WORKER_TIMEOUT_MS) === null) continue;
      this.inFlight.delete(key);
      this.free.push(slot);
    }
  }

  inFlightKeys(): string[] {
    return [...this.inFlight.keys()];
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }
}
