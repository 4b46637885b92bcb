// Host overhead of a train step: what the host spends recording one MedTrim step (the train-step suite's step:
// ViT + BERT forward, GPU mining, triplet loss, backward, AdamW with clipping) and how much it asks of the device
// API — dispatches, command buffers, bind groups, bytes uploaded. Host recording time is the wall time of the
// step call up to its last submit, minus the time spent inside queue.submit; the device's time is measured
// apart (GPU timestamps of the step's passes where the adapter has them, else nothing). On a loaded machine
// wall time counts the time other processes held the core, so the main thread's own CPU time for the same
// span is given beside it where the OS reports it (Linux: /proc/thread-self/schedstat, in nanoseconds, brought up to
// date at scheduler ticks and context switches — so per step it is coarse, and only medians over steps mean much).
import type { Runtime, RuntimeCounters } from '../gpu/runtime.js';
import { BERT_PRESETS, VIT_PRESETS, type PresetName } from '../models/config.js';
import { tidy } from '../tensor/tensor.js';
import { markdownTable } from './format.js';
import { median } from './timing.js';
import { PassTimer } from '../gpu/pass-timer.js';
import { trainStepCase } from './suites/train-step.js';

export interface HostCase {
  preset: PresetName;
  batch: number;
}

/** The cases of `medtrim bench host`: the tiny preset and the small one (width 128, 4 layers each), batch 32. */
export const HOST_CASES: readonly HostCase[] = [
  { preset: 'tiny', batch: 32 },
  { preset: 'small', batch: 32 },
];

export interface HostStep {
  /** Wall ms of the step call up to its last submit, less the ms inside queue.submit. */
  hostMs: number;
  /** The main thread's CPU ms over the same span, less its CPU ms inside queue.submit (null where unknown). */
  hostCpuMs: number | null;
  submitMs: number;
  /** Wall ms from the step call until the device finished it. */
  wallMs: number;
  /** Summed GPU ms of the step's compute passes, from timestamps (null without 'timestamp-query'). */
  gpuMs: number | null;
  dispatches: number;
  commandBuffers: number;
  bindGroups: number;
  uploadBytes: number;
}

export interface HostCaseResult {
  name: string;
  preset: PresetName;
  batch: number;
  /** Every timed step, in order (the warm-up excluded). */
  steps: HostStep[];
  /** Medians over `steps` of each field. */
  median: HostStep;
}

function counterDelta(after: RuntimeCounters, before: RuntimeCounters): RuntimeCounters {
  return {
    dispatches: after.dispatches - before.dispatches,
    commandBuffers: after.commandBuffers - before.commandBuffers,
    bindGroups: after.bindGroups - before.bindGroups,
    uploadBytes: after.uploadBytes - before.uploadBytes,
    submitMs: after.submitMs - before.submitMs,
  };
}

type Clock = () => number;

/** Milliseconds the calling thread has run on a CPU, or null where the OS does not say. */
export function threadCpuClock(): Clock | null {
  const fs = (globalThis as { process?: { getBuiltinModule?(id: string): unknown } }).process?.getBuiltinModule?.(
    'node:fs',
  ) as typeof import('node:fs') | undefined;
  const path = '/proc/thread-self/schedstat';
  const read = () => Number(fs!.readFileSync(path, 'utf8').split(' ')[0]) / 1e6;
  try {
    return fs && Number.isFinite(read()) ? read : null;
  } catch {
    return null;
  }
}

/** Counts the thread CPU time spent inside queue.submit while installed. */
class SubmitCpu {
  ms = 0;
  private readonly original: GPUQueue['submit'];
  constructor(
    private readonly queue: GPUQueue,
    cpu: Clock,
  ) {
    this.original = queue.submit;
    const original = this.original;
    queue.submit = (buffers) => {
      const start = cpu();
      try {
        original.call(queue, buffers);
      } finally {
        this.ms += cpu() - start;
      }
    };
  }
  restore(): void {
    this.queue.submit = this.original;
  }
}

async function measureStep(
  rt: Runtime,
  step: () => void,
  timer: PassTimer | null,
  cpu: { clock: Clock; submit: SubmitCpu } | null,
): Promise<HostStep> {
  await rt.sync();
  const before = { ...rt.counters };
  let recorded = 0;
  let finished = 0;
  let start = 0;
  let cpuMs: number | null = null;
  const run = async () => {
    const cpuStart = cpu?.clock() ?? 0;
    const submitCpuStart = cpu?.submit.ms ?? 0;
    start = performance.now();
    tidy(step);
    rt.flush();
    recorded = performance.now();
    if (cpu) cpuMs = cpu.clock() - cpuStart - (cpu.submit.ms - submitCpuStart);
    await rt.sync();
    finished = performance.now();
  };
  const gpuSeconds = timer ? await timer.time(run) : null;
  if (!timer) await run();
  const d = counterDelta(rt.counters, before);
  return {
    hostMs: recorded - start - d.submitMs,
    hostCpuMs: cpuMs,
    submitMs: d.submitMs,
    wallMs: finished - start,
    gpuMs: gpuSeconds === null ? null : gpuSeconds * 1000,
    dispatches: d.dispatches,
    commandBuffers: d.commandBuffers,
    bindGroups: d.bindGroups,
    uploadBytes: d.uploadBytes,
  };
}

function medianStep(steps: HostStep[]): HostStep {
  const of = (key: keyof HostStep) => median(steps.map((s) => s[key] ?? NaN));
  return {
    hostMs: of('hostMs'),
    hostCpuMs: steps.some((s) => s.hostCpuMs === null) ? null : of('hostCpuMs'),
    submitMs: of('submitMs'),
    wallMs: of('wallMs'),
    gpuMs: steps.some((s) => s.gpuMs === null) ? null : of('gpuMs'),
    dispatches: of('dispatches'),
    commandBuffers: of('commandBuffers'),
    bindGroups: of('bindGroups'),
    uploadBytes: of('uploadBytes'),
  };
}

export function hostCaseName(c: HostCase): string {
  const vit = VIT_PRESETS[c.preset];
  const bert = BERT_PRESETS[c.preset];
  return `${c.preset} (width ${vit.hidden}, ${vit.layers}+${bert.layers} layers), batch ${c.batch}`;
}

/**
 * `warmup` steps (the first compiles kernels and fills the pool; later ones let the JIT settle), then `steps`
 * measured steps of each case.
 */
export async function runHostBench(
  rt: Runtime,
  cases: readonly HostCase[],
  steps: number,
  warmup = 1,
  log?: (line: string) => void,
): Promise<HostCaseResult[]> {
  const timer = PassTimer.create(rt);
  const clock = threadCpuClock();
  const cpu = clock ? { clock, submit: new SubmitCpu(rt.device.queue, clock) } : null;
  const results: HostCaseResult[] = [];
  try {
    for (const c of cases) {
      const prepared = await trainStepCase(
        { rt, quick: false, tf: null, peerTrainStep: null },
        c.preset,
        c.batch,
      ).prepare();
      try {
        for (let i = 0; i < warmup; i++) await measureStep(rt, () => prepared.ours(), timer, cpu);
        const measured: HostStep[] = [];
        for (let i = 0; i < steps; i++) {
          const s = await measureStep(rt, () => prepared.ours(), timer, cpu);
          log?.(`${hostCaseName(c)} step ${i + 1}: ${hostCells(s).join('  ')}`);
          measured.push(s);
        }
        results.push({
          name: hostCaseName(c),
          preset: c.preset,
          batch: c.batch,
          steps: measured,
          median: medianStep(measured),
        });
      } finally {
        prepared.dispose();
      }
    }
  } finally {
    cpu?.submit.restore();
    timer?.destroy();
  }
  return results;
}

export const HOST_HEADER = [
  'case',
  'host ms',
  'host CPU ms',
  'submit ms',
  'GPU ms',
  'wall ms',
  'dispatches',
  'command buffers',
  'bind groups',
  'KiB uploaded',
];

function hostCells(s: HostStep): string[] {
  return [
    s.hostMs.toFixed(1),
    s.hostCpuMs === null ? '—' : s.hostCpuMs.toFixed(1),
    s.submitMs.toFixed(1),
    s.gpuMs === null ? '—' : s.gpuMs.toFixed(1),
    s.wallMs.toFixed(0),
    String(s.dispatches),
    String(s.commandBuffers),
    String(s.bindGroups),
    (s.uploadBytes / 1024).toFixed(1),
  ];
}

export function hostMarkdown(
  title: string,
  command: string,
  steps: number,
  warmup: number,
  results: readonly HostCaseResult[],
): string {
  return [
    `# ${title}`,
    '',
    `\`${command}\` — median of ${steps} steps after ${warmup === 1 ? 'a warm-up step' : `${warmup} warm-up steps`}. One MedTrim train step (ViT + BERT forward, GPU ` +
      'mining, triplet loss, backward, AdamW with clipping) on random inputs. host ms: wall time of the step call up to ' +
      "its last submit, less the time inside queue.submit; host CPU ms: the main thread's CPU time over that span, " +
      'less its CPU time inside queue.submit (not inflated by other processes on a loaded machine, but coarse: Linux ' +
      "brings a running thread's figure up to date at scheduler ticks, so one step's value is off by up to a tick; " +
      'read the median); GPU ms: summed timestamps of its compute passes (— without ' +
      "'timestamp-query'); wall ms: until the device finished. Counts are per step.",
    '',
    markdownTable(
      HOST_HEADER,
      results.map((r) => [r.name, ...hostCells(r.median)]),
    ),
  ].join('\n');
}
