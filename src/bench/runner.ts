// Runs benchmark suites: per case a warm-up, then ours and the peer interleaved (./timing.ts), each run
// waiting for the device. Ours is timed by GPU timestamps of its passes when the adapter has 'timestamp-query'
// (tfjs by its own timestamp profiling, tf.time's kernelMs), always also by the wall clock; a ratio compares
// like with like: device time to device time when both sides have it, else wall to wall.
import { timeInterleaved, type Timing } from './timing.js';
import type { AdapterDescription } from '../gpu/device.js';
import { autotunerOf, type TileConfig } from '../gpu/autotune.js';
import { tidy } from '../tensor/tensor.js';
import { adapterLine, markdownTable } from './format.js';
import { PassTimer } from '../gpu/pass-timer.js';
import type { BenchCase, PeerRun, PreparedCase, Suite, SuiteContext, TfPeer, Unit } from './types.js';

export type Clock = 'gpu-timestamps' | 'wall';

export interface SideResult {
  name: string;
  clock: Clock;
  /** Median seconds per run on `clock`. */
  seconds: number;
  wallSeconds: number;
  runs: number[];
  wallRuns: number[];
  /** Median GPU seconds from timestamps, also when the comparison uses the wall clock (host peer). */
  deviceSeconds: number | null;
  /** Work per second in the case's unit, on `clock`. */
  rate: number;
}

export interface CaseResult {
  suite: string;
  name: string;
  unit: Unit;
  work: number;
  ours: SideResult;
  peer: SideResult | null;
  /** ours/peer speed on the common clock (peer time ÷ our time, both on ours.clock); null without a peer. */
  ratio: number | null;
  /** ours/peer speed by the wall clock. */
  wallRatio: number | null;
  maxAbsDiff: number | null;
}

export interface RunOptions {
  runs: number;
  log?: (line: string) => void;
}

/** One side's result on the device clock when `device` and the side has device times, else on the wall clock. */
function side(name: string, timing: Timing, work: number, device: boolean): SideResult {
  const onDevice = device && timing.deviceSeconds !== undefined;
  const seconds = onDevice ? timing.deviceSeconds! : timing.seconds;
  return {
    name,
    clock: onDevice ? 'gpu-timestamps' : 'wall',
    seconds,
    wallSeconds: timing.seconds,
    runs: onDevice ? timing.deviceRuns! : timing.runs,
    wallRuns: timing.runs,
    deviceSeconds: timing.deviceSeconds ?? null,
    rate: work / seconds / 1e9, // both units count 1e9 FLOP or bytes
  };
}

/** tfjs's summed kernel time of `record`, or undefined when its profiler gives none. */
async function tfjsRun(tf: TfPeer, record: () => void, profile: boolean): Promise<number | undefined> {
  if (!profile) {
    tf.tf.tidy(record);
    await tf.sync();
    return undefined;
  }
  const info = await tf.tf.time(() => tf.tf.tidy(record));
  await tf.sync();
  return typeof info.kernelMs === 'number' ? info.kernelMs / 1000 : undefined;
}

function peerVariant(ctx: SuiteContext, peer: PeerRun, profile: boolean): () => Promise<number | undefined> {
  if (peer.kind === 'host') return async () => void peer.run();
  if (!ctx.tf) throw new Error('a tfjs peer case ran without tfjs');
  const tf = ctx.tf;
  return () => tfjsRun(tf, peer.record, profile);
}

function oursVariant(
  ctx: SuiteContext,
  prepared: PreparedCase,
  timer: PassTimer | null,
): () => Promise<number | undefined> {
  const once = async () => {
    tidy(() => prepared.ours());
    await ctx.rt.sync();
  };
  return timer ? () => timer.time(once) : async () => void (await once());
}

function peerName(peer: PeerRun): string {
  return peer.kind === 'tfjs' ? 'tfjs' : peer.name;
}

async function runCase(
  ctx: SuiteContext,
  suite: Suite,
  c: BenchCase,
  timer: PassTimer | null,
  runs: number,
): Promise<CaseResult> {
  const prepared = await c.prepare();
  try {
    const variants = [oursVariant(ctx, prepared, timer)];
    const tuner = autotunerOf(ctx.rt);
    if (tuner) {
      // A first run asks for tunings of the shape families it meets; the timed runs then use the tuned configs.
      await variants[0]!();
      await tuner.tunePending();
    }
    if (prepared.peer) variants.push(peerVariant(ctx, prepared.peer, timer !== null));
    const [oursTiming, peerTiming] = await timeInterleaved(variants, { warmup: 1, runs });
    // Both sides on one clock: GPU timestamps when both have them, else the wall clock for both.
    const device = oursTiming!.deviceSeconds !== undefined && (!peerTiming || peerTiming.deviceSeconds !== undefined);
    const ours = side('ours', oursTiming!, c.work, device);
    const peer = prepared.peer && peerTiming ? side(peerName(prepared.peer), peerTiming, c.work, device) : null;
    return {
      suite: suite.name,
      name: c.name,
      unit: c.unit,
      work: c.work,
      ours,
      peer,
      ratio: peer ? peer.seconds / ours.seconds : null,
      wallRatio: peer ? peer.wallSeconds / ours.wallSeconds : null,
      maxAbsDiff: prepared.maxAbsDiff ? await prepared.maxAbsDiff() : null,
    };
  } finally {
    prepared.dispose();
  }
}

export async function runSuite(ctx: SuiteContext, suite: Suite, options: RunOptions): Promise<CaseResult[]> {
  const timer = PassTimer.create(ctx.rt);
  const results: CaseResult[] = [];
  try {
    for (const c of suite.cases(ctx)) {
      const result = await runCase(ctx, suite, c, timer, options.runs);
      options.log?.(`${suite.name} ${result.name}: ${resultCells(result).slice(1).join('  ')}`);
      results.push(result);
    }
  } finally {
    timer?.destroy();
  }
  return results;
}

/** Two significant digits below 1, else two decimals. */
export function formatRate(x: number): string {
  return x >= 1 ? x.toFixed(2) : x.toPrecision(2);
}

const ms = (s: number) => (s * 1000 >= 10 ? (s * 1000).toFixed(0) : (s * 1000).toPrecision(2));
const ratio = (r: number | null) => (r === null ? '—' : `${r.toFixed(2)}×`);

export const RESULT_HEADER = [
  'case',
  'unit',
  'ours',
  'peer',
  'peer rate',
  'ours/peer',
  'clock',
  'wall ms ours',
  'wall ms peer',
  'ours/peer (wall)',
  'max abs diff',
];

export function resultCells(r: CaseResult): string[] {
  return [
    r.name,
    r.unit,
    formatRate(r.ours.rate),
    r.peer?.name ?? '—',
    r.peer ? formatRate(r.peer.rate) : '—',
    ratio(r.ratio),
    r.ours.clock === 'gpu-timestamps' ? 'GPU' : 'wall',
    ms(r.ours.wallSeconds),
    r.peer ? ms(r.peer.wallSeconds) : '—',
    ratio(r.wallRatio),
    r.maxAbsDiff === null ? '—' : r.maxAbsDiff.toExponential(1),
  ];
}

export function suiteMarkdown(
  suite: Pick<Suite, 'name' | 'model'> & { command?: string },
  results: readonly CaseResult[],
): string {
  const from = suite.command ? ` (\`${suite.command}\`)` : '';
  return [`### ${suite.name}${from}`, '', suite.model, '', markdownTable(RESULT_HEADER, results.map(resultCells))].join(
    '\n',
  );
}

export interface BenchReport {
  adapter: AdapterDescription;
  /** What tfjs reported about the adapter it opened (null: no tfjs peer). */
  tfjsAdapter: string | null;
  command: string;
  runs: number;
  quick: boolean;
  /** Our clock: GPU timestamps of our passes when the adapter has 'timestamp-query', else the wall clock. */
  clock: Clock;
  /** null when autotuning was off; else the tuned configs kernels used, by shape family. */
  autotune: { used: Record<string, TileConfig>; tunedNow: string[] } | null;
  /** Each suite with the command that measured it (a file may gather suites from several runs). */
  suites: { name: string; model: string; command: string; results: CaseResult[] }[];
}

/** Runs the suites in order and gathers their results (autotune state as of the end). */
export async function runBench(
  ctx: SuiteContext,
  suites: readonly Suite[],
  options: RunOptions & { command: string; tfjsAdapter: string | null },
): Promise<BenchReport> {
  const report: BenchReport = {
    adapter: ctx.rt.gpu.info,
    tfjsAdapter: options.tfjsAdapter,
    command: options.command,
    runs: options.runs,
    quick: ctx.quick,
    clock: ctx.rt.device.features.has('timestamp-query') ? 'gpu-timestamps' : 'wall',
    autotune: null,
    suites: [],
  };
  for (const suite of suites)
    report.suites.push({
      name: suite.name,
      model: suite.model,
      command: options.command,
      results: await runSuite(ctx, suite, options),
    });
  const tuner = autotunerOf(ctx.rt);
  if (tuner) report.autotune = { used: Object.fromEntries(tuner.used), tunedNow: [...tuner.tunedNow] };
  return report;
}

function autotuneLine(report: BenchReport): string {
  if (!report.autotune) return 'Autotuning: off (default matmul tiles).';
  const used = Object.entries(report.autotune.used);
  if (!used.length) return 'Autotuning: on, but no kernel used a tuned config.';
  const fromCache = used.length - report.autotune.tunedNow.length;
  const list = used.map(([family, config]) => `${family} → ${Object.values(config).join('/')}`).join('; ');
  return `Autotuning: on; ${used.length} matmul shape families ran with tuned tiles (${fromCache} from the cache), WG_X/WG_Y/ROW_BLOCKS/COL_BLOCKS: ${list}.`;
}

export function reportMarkdown(report: BenchReport): string {
  const clock =
    report.clock === 'gpu-timestamps'
      ? 'GPU time from timestamp queries (ours: the spans of our compute passes; tfjs: tf.time kernelMs; host peers: wall clock)'
      : 'wall time until onSubmittedWorkDone';
  return [
    `# medtrim bench on ${adapterLine(report.adapter)}`,
    '',
    `\`${report.command}\` — median of ${report.runs} interleaved runs after a warm-up${report.quick ? ' (quick shapes)' : ''}; clock: ${clock}. ` +
      '"ours/peer" > 1 means we are faster; it compares like clocks (GPU with GPU, else wall with wall), and the wall-clock ratio is given beside it.',
    report.tfjsAdapter
      ? `tfjs peer: @tensorflow/tfjs-backend-webgpu on ${report.tfjsAdapter}.`
      : 'No tfjs peer in this run.',
    autotuneLine(report),
    '',
    ...report.suites.map((s) => suiteMarkdown(s, s.results) + '\n'),
  ].join('\n');
}
