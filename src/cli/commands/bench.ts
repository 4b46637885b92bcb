// `medtrim bench [suite] [--backend B] [--runs N] [--quick] [--out DIR] [--autotune] [--no-peers]`: our kernels
// and the MedTrim train step against tfjs (and the TypeScript miner) on the same adapter; results go to
// <out>/suite-<adapter>.{json,md}, merged with the suites an earlier run left there.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { writeResults } from '../../bench/results.js';
import { startTfjs } from '../../bench/tfjs-peer.js';
import { tfjsTrainStep } from '../../bench/tfjs-train-step.js';
import { adapterLine, adapterTag } from '../../bench/format.js';
import { HOST_CASES, hostMarkdown, runHostBench } from '../../bench/host.js';
import { reportMarkdown, runBench, type BenchReport } from '../../bench/runner.js';
import { SUITES, selectSuites } from '../../bench/suites/index.js';
import type { TfPeer } from '../../bench/types.js';
import { enableAutotune, nodeTuneStore } from '../../gpu/autotune.js';
import { acquireGpu, type BackendChoice } from '../../gpu/device.js';
import { Runtime } from '../../gpu/runtime.js';
import type { Command } from '../command.js';
import { UsageError } from './shared.js';

const HELP = `usage: medtrim bench [suite] [--backend auto|native|swiftshader|gles] [--runs N] [--quick] [--out DIR]
                    [--autotune] [--no-peers]
       medtrim bench host [--backend B] [--runs N] [--warmup N] [--preset tiny|small] [--label TEXT] [--out DIR]

suites: ${SUITES.map((s) => s.name).join(', ')}, all (default)

Times each kernel (GFLOP/s or GB/s by the model stated per suite) and the MedTrim train step as the median of
--runs interleaved runs (default 3) after a warm-up, against tfjs-backend-webgpu on the same adapter (and the
TypeScript miner for mining). GPU time comes from timestamp queries where the adapter has them, else the wall
clock. --quick uses small shapes. --autotune (or MEDTRIM_AUTOTUNE=1) tunes matmul tiles per shape family first,
cached in MEDTRIM_CACHE_DIR or ~/.cache/medtrim. Writes DIR/suite-<adapter>.{json,md} (DIR: bench/results).

'bench host' measures the host side of a MedTrim train step (tiny and small presets, batch 32; --preset picks
one): host recording ms, GPU ms where timestamps exist, dispatches, command buffers, bind groups and bytes
uploaded per step, median of --runs steps after --warmup steps (default 5: the first steps run before V8 has
optimised the recording code, and a training run is thousands of steps). Writes DIR/host-<adapter>[-LABEL].{json,md}.`;

const DEFAULT_OUT = new URL('../../../bench/results/', import.meta.url);

function positiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer, got '${text}'`);
  return n;
}

/** Suites of an earlier results file that this run did not measure (a file for another adapter is not merged). */
function earlierSuites(file: URL, report: BenchReport): BenchReport['suites'] {
  if (!existsSync(file)) return [];
  let old: Partial<BenchReport>;
  try {
    old = JSON.parse(readFileSync(file, 'utf8')) as Partial<BenchReport>;
  } catch (err) {
    console.warn(`bench: not merging ${file.pathname}: ${(err as Error).message}`);
    return [];
  }
  if (!Array.isArray(old.suites) || adapterTag(old.adapter ?? report.adapter) !== adapterTag(report.adapter)) return [];
  const rerun = new Set(report.suites.map((s) => s.name));
  return old.suites.filter((s) => !rerun.has(s.name));
}

const bench: Command = {
  summary: 'benchmark every kernel and the train step against tfjs on this adapter (optionally autotuning)',
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        backend: { type: 'string' },
        runs: { type: 'string', default: '3' },
        quick: { type: 'boolean' },
        out: { type: 'string' },
        autotune: { type: 'boolean' },
        'no-peers': { type: 'boolean' },
        preset: { type: 'string' },
        warmup: { type: 'string' },
        label: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    if (positionals.length > 1) throw new UsageError(`one suite at most, got ${positionals.join(' ')}`);
    const host = positionals[0] === 'host';
    let suites: ReturnType<typeof selectSuites>;
    try {
      suites = host ? [] : selectSuites(positionals[0] ?? 'all');
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const runs = positiveInt(values.runs!, '--runs');
    const outDir = values.out ? pathToFileURL(resolve(values.out) + '/') : DEFAULT_OUT;
    const hostCases = HOST_CASES.filter((c) => !values.preset || c.preset === values.preset);
    if (!hostCases.length)
      throw new Error(`--preset must be one of ${HOST_CASES.map((c) => c.preset).join(', ')}, got '${values.preset}'`);
    if (values.label !== undefined && !/^[\w.-]+$/.test(values.label))
      throw new Error(`--label takes letters, digits, '.', '-' and '_', got '${values.label}'`);
    const gpu = await acquireGpu({ backend: values.backend as BackendChoice | undefined });
    try {
      const rt = new Runtime(gpu);
      const tag = adapterTag(gpu.info);
      if (host) {
        const command = ['medtrim bench', ...argv].join(' ');
        const warmup = positiveInt(values.warmup ?? '5', '--warmup');
        const results = await runHostBench(rt, hostCases, runs, warmup, (line) => console.log(line));
        const name = `host-${tag}${values.label ? `-${values.label}` : ''}`;
        const markdown = hostMarkdown(`medtrim bench host on ${adapterLine(gpu.info)}`, command, runs, warmup, results);
        const files = writeResults(name, markdown, { adapter: gpu.info, command, runs, warmup, results }, outDir);
        console.log(`\n${markdown}\nwrote ${files.md} and ${files.json}`);
        return 0;
      }
      if (values.autotune || process.env.MEDTRIM_AUTOTUNE === '1')
        await enableAutotune(rt, await nodeTuneStore(tag), tag);
      const peer = values['no-peers'] ? null : await startTfjs(gpu);
      const tf: TfPeer | null = peer && { tf: peer.tf, sync: () => peer.sync() };
      const command = ['medtrim bench', ...argv].join(' ');
      console.log(`adapter ${tag}${peer ? `, tfjs on ${peer.adapter}` : ', no peers'}`);
      const report = await runBench({ rt, quick: !!values.quick, tf, peerTrainStep: tfjsTrainStep }, suites, {
        runs,
        command,
        tfjsAdapter: peer?.adapter ?? null,
        log: (line) => console.log(line),
      });
      const name = `suite-${tag}`;
      report.suites = [...earlierSuites(new URL(`${name}.json`, outDir), report), ...report.suites].sort(
        (a, b) => SUITES.findIndex((s) => s.name === a.name) - SUITES.findIndex((s) => s.name === b.name),
      );
      const markdown = reportMarkdown(report);
      const files = writeResults(name, markdown, report, outDir);
      console.log(`\n${markdown}\nwrote ${files.md} and ${files.json}`);
      peer?.tf.disposeVariables();
      return 0;
    } finally {
      gpu.release();
    }
  },
};
export default bench;
