// Where a MedTrim train step spends its GPU time: every dispatch of one step (after a warm-up step) runs in a
// compute pass of its own with timestamp queries, and the spans are summed per kernel. Needs an adapter with
// 'timestamp-query' (SwiftShader, native GPUs); llvmpipe's GLES path has none.
//   npx tsx bench/profile-step.ts [--backend swiftshader|native] [--preset tiny] [--batch 4] [--top 25]
// Results go to bench/results/profile-<adapter>.{md,json}. One pass per dispatch adds per-pass overhead, so the
// total exceeds an unprofiled step; the split between kernels is what this is for.
import { parseArgs } from 'node:util';
import { PassTimer, type DispatchTime } from '../src/gpu/pass-timer.js';
import { trainStepCase } from '../src/bench/suites/train-step.js';
import { acquireGpu, type BackendChoice } from '../src/gpu/device.js';
import { Runtime } from '../src/gpu/runtime.js';
import { VIT_PRESETS, type PresetName } from '../src/models/config.js';
import { tidy } from '../src/tensor/tensor.js';
import { adapterLine, adapterTag, markdownTable } from '../src/bench/format.js';
import { writeResults } from '../src/bench/results.js';
import { positiveInt } from './lib/args.js';
import { runScript } from './lib/run-script.js';

const HELP =
  'usage: npx tsx bench/profile-step.ts [--backend swiftshader|native|auto] [--preset tiny|small|base] [--batch N] [--top N]';

interface KernelTotal {
  kernel: string;
  calls: number;
  seconds: number;
  slowest: DispatchTime;
}

function byKernel(dispatches: DispatchTime[]): KernelTotal[] {
  const totals = new Map<string, KernelTotal>();
  for (const d of dispatches) {
    const t = totals.get(d.kernel) ?? { kernel: d.kernel, calls: 0, seconds: 0, slowest: d };
    t.calls++;
    t.seconds += d.seconds;
    if (d.seconds > t.slowest.seconds) t.slowest = d;
    totals.set(d.kernel, t);
  }
  return [...totals.values()].sort((a, b) => b.seconds - a.seconds);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      backend: { type: 'string' },
      preset: { type: 'string', default: 'tiny' },
      batch: { type: 'string', default: '4' },
      top: { type: 'string', default: '25' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const preset = values.preset as PresetName;
  if (!(preset in VIT_PRESETS))
    throw new Error(`--preset must be one of ${Object.keys(VIT_PRESETS).join(', ')}, got '${values.preset}'`);
  const batch = positiveInt('batch', values.batch!);
  const top = positiveInt('top', values.top!);
  const gpu = await acquireGpu({ backend: values.backend as BackendChoice | undefined });
  try {
    const rt = new Runtime(gpu);
    const timer = PassTimer.create(rt);
    if (!timer)
      throw new Error(
        `${adapterLine(gpu.info)} has no 'timestamp-query': the per-kernel profile needs it (try --backend swiftshader)`,
      );
    const benchCase = trainStepCase({ rt, quick: true, tf: null, peerTrainStep: null }, preset, batch);
    const prepared = await benchCase.prepare();
    const step = async () => {
      tidy(() => prepared.ours());
      await rt.sync();
    };
    await step(); // compiles every kernel
    const wallStart = performance.now();
    await step();
    const unprofiledMs = performance.now() - wallStart;
    const dispatches = await timer.profile(step);
    prepared.dispose();
    timer.destroy();

    const total = dispatches.reduce((s, d) => s + d.seconds, 0);
    const kernels = byKernel(dispatches);
    const rows = kernels
      .slice(0, top)
      .map((k) => [
        k.kernel,
        String(k.calls),
        (k.seconds * 1e3).toFixed(1),
        `${((100 * k.seconds) / total).toFixed(1)}%`,
        `${(k.slowest.seconds * 1e3).toFixed(1)} (${k.slowest.workgroups.join('×')})`,
      ]);
    const markdown = [
      `# Train-step profile: ${benchCase.name}`,
      '',
      `Adapter: ${adapterLine(gpu.info)}. \`npx tsx bench/profile-step.ts --preset ${preset} --batch ${batch}\`: one step after a warm-up, each dispatch in its own timed pass.`,
      `${dispatches.length} dispatches, ${(total * 1e3).toFixed(0)} ms of GPU time in them; the same step unprofiled: ${unprofiledMs.toFixed(0)} ms wall.`,
      '',
      markdownTable(['kernel', 'calls', 'GPU ms', 'share', 'slowest dispatch ms (workgroups)'], rows),
    ].join('\n');
    const written = writeResults(`profile-${preset}-b${batch}-${adapterTag(gpu.info)}`, markdown, {
      adapter: gpu.info,
      preset,
      batch,
      unprofiledMs,
      kernels,
      dispatches,
    });
    console.log(`${markdown}\n\nwrote ${written.md}`);
    return 0;
  } finally {
    gpu.release();
  }
}

runScript(main);
