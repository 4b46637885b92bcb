// What dawn.node's busy polling costs a train step, and what pacing it (src/gpu/dawn-polling.ts) gives back:
//   npx tsx bench/dawn-polling.ts [--backend swiftshader|gles|native] [--preset tiny] [--batch 32] [--steps 3]
//                                 [--rounds 3] [--out DIR]
// One process, one adapter: --rounds rounds, each --steps train steps (the train-step suite's MedTrim step, recorded
// back to back, then one wait) with Dawn's polls paced and --steps with the binding's own busy loop, alternating so
// that both modes see the same machine. Per step: wall ms and the main thread's CPU ms (Linux schedstat).
// Results: bench/results/dawn-polling-<adapter>.{md,json}.
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { adapterLine, adapterTag, markdownTable } from '../src/bench/format.js';
import { threadCpuClock } from '../src/bench/host.js';
import { writeResults } from '../src/bench/results.js';
import { median } from '../src/bench/timing.js';
import { trainStepCase } from '../src/bench/suites/train-step.js';
import { acquireGpu, type BackendChoice } from '../src/gpu/device.js';
import { Runtime } from '../src/gpu/runtime.js';
import { BERT_PRESETS, VIT_PRESETS, type PresetName } from '../src/models/config.js';
import { tidy } from '../src/tensor/tensor.js';
import { positiveInt } from './lib/args.js';
import { runScript } from './lib/run-script.js';

// The binding's own scheduler, taken before acquireGpu installs the paced one.
const busySetImmediate = globalThis.setImmediate;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      backend: { type: 'string', default: 'swiftshader' },
      preset: { type: 'string', default: 'tiny' },
      batch: { type: 'string', default: '32' },
      steps: { type: 'string', default: '3' },
      rounds: { type: 'string', default: '3' },
      out: { type: 'string' },
    },
  });
  const preset = values.preset as PresetName;
  if (!(preset in VIT_PRESETS)) throw new Error(`--preset must be one of ${Object.keys(VIT_PRESETS).join(', ')}`);
  const batch = positiveInt('batch', values.batch!);
  const steps = positiveInt('steps', values.steps!);
  const rounds = positiveInt('rounds', values.rounds!);
  const threadCpuMs = threadCpuClock();
  if (!threadCpuMs) throw new Error("this OS does not report a thread's CPU time (Linux /proc/thread-self/schedstat)");
  const gpu = await acquireGpu({ backend: values.backend as BackendChoice });
  const pacedSetImmediate = globalThis.setImmediate;
  if (pacedSetImmediate === busySetImmediate) throw new Error('acquireGpu did not install the paced setImmediate');
  const rt = new Runtime(gpu);
  const prepared = await trainStepCase({ rt, quick: false, tf: null, peerTrainStep: null }, preset, batch).prepare();
  tidy(() => prepared.ours());
  await rt.sync();

  const modes = { paced: pacedSetImmediate, busy: busySetImmediate };
  const perStep: Record<keyof typeof modes, { wallMs: number[]; cpuMs: number[] }> = {
    paced: { wallMs: [], cpuMs: [] },
    busy: { wallMs: [], cpuMs: [] },
  };
  try {
    for (let r = 0; r < rounds; r++) {
      for (const mode of ['busy', 'paced'] as const) {
        globalThis.setImmediate = modes[mode];
        const wall0 = performance.now();
        const cpu0 = threadCpuMs();
        for (let s = 0; s < steps; s++) tidy(() => prepared.ours());
        await rt.sync();
        const wallMs = (performance.now() - wall0) / steps;
        const cpuMs = (threadCpuMs() - cpu0) / steps;
        perStep[mode].wallMs.push(wallMs);
        perStep[mode].cpuMs.push(cpuMs);
        console.log(`round ${r + 1} ${mode}: ${wallMs.toFixed(0)} ms/step, main thread ${cpuMs.toFixed(0)} ms CPU`);
      }
    }
  } finally {
    globalThis.setImmediate = pacedSetImmediate;
    prepared.dispose();
  }

  const summary = Object.fromEntries(
    Object.entries(perStep).map(([mode, m]) => [mode, { wallMs: median(m.wallMs), cpuMs: median(m.cpuMs) }]),
  ) as Record<keyof typeof modes, { wallMs: number; cpuMs: number }>;
  const vit = VIT_PRESETS[preset];
  const bert = BERT_PRESETS[preset];
  const command = `npx tsx bench/dawn-polling.ts ${process.argv.slice(2).join(' ')}`.trim();
  const md = [
    `# Dawn's event polling on ${adapterLine(gpu.info)}`,
    '',
    `\`${command}\` — the train-step suite's MedTrim step, ${preset} preset (width ${vit.hidden}, ` +
      `${vit.layers}+${bert.layers} layers), batch ${batch}; ${rounds} rounds of ${steps} steps recorded back to ` +
      'back and one wait, busy and paced alternating; medians over rounds of the per-step means. Main-thread CPU: ' +
      'the thread that records the step and waits for the device.',
    '',
    markdownTable(
      ['polling', 'wall ms/step', 'main-thread CPU ms/step'],
      (['busy', 'paced'] as const).map((mode) => [
        mode === 'busy' ? "busy loop (dawn.node's setImmediate)" : 'paced (1 ms timer after the first 1 ms)',
        summary[mode].wallMs.toFixed(0),
        summary[mode].cpuMs.toFixed(0),
      ]),
    ),
    '',
    `Paced is ${(summary.busy.wallMs / summary.paced.wallMs).toFixed(2)}× the busy loop's step rate.`,
  ].join('\n');
  const written = writeResults(
    `dawn-polling-${adapterTag(gpu.info)}`,
    md,
    { command, adapter: gpu.info, preset, batch, steps, rounds, perStep, summary },
    values.out ? pathToFileURL(values.out) : undefined,
  );
  console.log(md);
  console.log(`\nwrote ${written.md} and ${written.json}`);
  gpu.release();
  return 0;
}

runScript(main);
