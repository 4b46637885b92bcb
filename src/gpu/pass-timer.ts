// GPU time of our runtime's work from timestamp queries: every compute pass the runtime begins while the timer
// is attached writes a begin and an end stamp, and a run's device time is the sum of its passes' spans — the
// time the GPU spent executing our passes, without the gaps where it waited for the host to record or submit.
import type { Runtime } from './runtime.js';

/** WebGPU's largest query set. */
const MAX_QUERIES = 4096;

export interface DispatchTime {
  kernel: string;
  workgroups: [number, number, number];
  seconds: number;
}

export class PassTimer {
  private readonly querySet: GPUQuerySet;
  private readonly resolved: GPUBuffer;
  private readonly readback: GPUBuffer;
  private passes = 0;

  /** A timer on the runtime's device, or null when the device lacks 'timestamp-query'. */
  static create(rt: Runtime): PassTimer | null {
    return rt.device.features.has('timestamp-query') ? new PassTimer(rt) : null;
  }

  private constructor(private readonly rt: Runtime) {
    const device = rt.device;
    this.querySet = device.createQuerySet({ type: 'timestamp', count: MAX_QUERIES, label: 'pass-timer' });
    this.resolved = device.createBuffer({
      size: MAX_QUERIES * 8,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
      label: 'pass-timer-resolve',
    });
    this.readback = device.createBuffer({
      size: MAX_QUERIES * 8,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      label: 'pass-timer-read',
    });
  }

  private nextPass(): GPUComputePassTimestampWrites {
    if (2 * (this.passes + 1) > MAX_QUERIES)
      throw new Error(`pass timer: a run began more than ${MAX_QUERIES / 2} compute passes`);
    const begin = 2 * this.passes++;
    return { querySet: this.querySet, beginningOfPassWriteIndex: begin, endOfPassWriteIndex: begin + 1 };
  }

  /** Runs `work` (which must submit and wait for everything it records) and returns the GPU seconds of its passes. */
  async time(work: () => Promise<void>): Promise<number> {
    if (this.rt.passTimestamps || this.rt.dispatchTimestamps)
      throw new Error('pass timer: another timer is attached to this runtime');
    this.rt.flush();
    this.passes = 0;
    this.rt.passTimestamps = () => this.nextPass();
    try {
      await work();
      this.rt.flush();
    } finally {
      this.rt.passTimestamps = null;
    }
    return (await this.collect()).reduce((total, span) => total + span, 0);
  }

  /** Runs `work` with every dispatch in a pass of its own; returns each dispatch's kernel, grid and GPU seconds. */
  async profile(work: () => Promise<void>): Promise<DispatchTime[]> {
    if (this.rt.passTimestamps || this.rt.dispatchTimestamps)
      throw new Error('pass timer: another timer is attached to this runtime');
    this.rt.flush();
    this.passes = 0;
    const dispatches: Omit<DispatchTime, 'seconds'>[] = [];
    this.rt.dispatchTimestamps = (kernel, workgroups) => {
      dispatches.push({ kernel, workgroups });
      return this.nextPass();
    };
    try {
      await work();
      this.rt.flush();
    } finally {
      this.rt.dispatchTimestamps = null;
    }
    const spans = await this.collect();
    return dispatches.map((d, i) => ({ ...d, seconds: spans[i]! }));
  }

  /** Seconds between each pass's begin and end stamps. */
  private async collect(): Promise<number[]> {
    const count = 2 * this.passes;
    if (count === 0) return [];
    const encoder = this.rt.device.createCommandEncoder({ label: 'pass-timer' });
    encoder.resolveQuerySet(this.querySet, 0, count, this.resolved, 0);
    encoder.copyBufferToBuffer(this.resolved, 0, this.readback, 0, count * 8);
    this.rt.device.queue.submit([encoder.finish()]);
    await this.readback.mapAsync(GPUMapMode.READ, 0, count * 8);
    const stamps = new BigInt64Array(this.readback.getMappedRange(0, count * 8).slice(0));
    this.readback.unmap();
    const spans: number[] = [];
    for (let p = 0; p < count; p += 2) spans.push(Number(stamps[p + 1]! - stamps[p]!) / 1e9);
    return spans;
  }

  destroy(): void {
    this.querySet.destroy();
    this.resolved.destroy();
    this.readback.destroy();
  }
}
