// `medtrim eval --run DIR`: evaluates a run's latest checkpoint on the test split and rewrites its report.
import { parseArgs } from 'node:util';
import { acquireGpu, type BackendChoice } from '../../gpu/device.js';
import { Runtime } from '../../gpu/runtime.js';
import { formatTables } from '../../report/index.js';
import { evaluateRun, openRun } from '../../train/run.js';
import type { Command } from '../command.js';
import { adapterWords, integerFlag, UsageError, zeroShotLine } from './shared.js';

const HELP = `usage: medtrim eval --run DIR [--data PATH] [--limit N] [--backend B]

Loads DIR/checkpoint.safetensors, embeds the test split of the run's data set (the split recorded in
DIR/splits.csv for real data; --data PATH: where that data is now, if it moved) on the GPU, and
prints Precision@R (R = 1, 10, 20, 50) for image→text, text→image, image→image and text→text — coarse (same
disease classes) and fine (same classes, directions and severity) — and zero-shot classification from class
prompts. Rewrites DIR/eval.json and DIR/report.html.`;

const evalCommand: Command = {
  summary: "evaluate a run's checkpoint on the test split (P@R tables, zero-shot) and rewrite its report",
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        run: { type: 'string' },
        data: { type: 'string' },
        limit: { type: 'string' },
        backend: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    if (!values.run) throw new UsageError('--run DIR is required (a directory written by medtrim train)');
    const limit = values.limit === undefined ? undefined : integerFlag('--limit', values.limit, 2);
    const gpu = await acquireGpu({ backend: values.backend as BackendChoice | undefined });
    try {
      const rt = new Runtime(gpu);
      const run = await openRun(rt, values.run, { dataPath: values.data });
      const result = await evaluateRun(rt, run, adapterWords(gpu.info), limit).finally(() =>
        run.data.dataset.close?.(),
      );
      console.log(
        `${run.config.objective} (${run.config.preset}, step ${run.trainer.step}), ${result.samples} test samples:\n`,
      );
      console.log(formatTables(result.retrieval));
      console.log(zeroShotLine(result.zeroShot));
      return 0;
    } finally {
      gpu.release();
    }
  },
};
export default evalCommand;
