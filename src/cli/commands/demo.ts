// `medtrim demo [--port N] [--open-browser yes|no] [--run DIR]`: serves the browser demo on 127.0.0.1.
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { RUN_FILES } from '../../train/run-setup.js';
import { DEFAULT_TEST_LIMIT, startDemoSite } from '../../web/node/demo-site.js';
import type { Command } from '../command.js';
import { UsageError } from './shared.js';

const HELP = `usage: medtrim demo [--port N] [--open-browser yes|no] [--run DIR [--data PATH] [--test-limit N]]

Builds the browser bundle if it is missing or stale, then serves the demo pages on 127.0.0.1 only
(never on other interfaces) until interrupted:
  /            web/ (index.html: adapter, engine self-check, retrieval and in-page training;
               bench.html: kernel benchmarks)
  /dist/       the bundle (dist/web/)
  /run/        DIR, read-only, when --run DIR is given: a run written by medtrim train, whose
               checkpoint the page loads for report→image and image→report search

  --port N              port to listen on (default 8080; 0 picks a free one)
  --open-browser yes|no open the page in the system browser (default: yes when a display is available)
  --run DIR             serve the training run in DIR under /run/ (it must hold config.json, vocab.txt
                        and checkpoint.safetensors); for a run trained on files (--data), also its first
                        test images (by its splits.csv) under /data/, read-only, nothing else of the folder
  --data PATH           where that run's data is now, if it moved since training
  --test-limit N        most test images served for such a run (default ${DEFAULT_TEST_LIMIT})

WebGPU in Chrome on Linux may need --enable-unsafe-webgpu.`;

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be an integer from 0 to 65535, got '${text}'`);
  return port;
}

/** The page needs these files of a run; a directory without them is a mistake better reported here. */
function checkRunDir(dir: string): void {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`--run ${dir}: no such directory`);
  const missing = [RUN_FILES.config, RUN_FILES.vocab, RUN_FILES.checkpoint].filter((f) => !existsSync(join(dir, f)));
  if (missing.length)
    throw new Error(
      `--run ${dir}: ${missing.join(', ')} missing (not a run written by medtrim train, or no checkpoint yet)`,
    );
}

function hasDisplay(): boolean {
  return (
    process.platform === 'darwin' ||
    process.platform === 'win32' ||
    !!(process.env.DISPLAY || process.env.WAYLAND_DISPLAY)
  );
}

function openBrowser(url: string): void {
  const [cmd, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '', url]]
        : ['xdg-open', [url]];
  const child = spawn(cmd, args as string[], { stdio: 'ignore', detached: true });
  child.on('error', (err) =>
    console.error(`medtrim demo: could not open a browser (${err.message}); open ${url} yourself`),
  );
  child.unref();
}

const demo: Command = {
  summary: 'serve the browser demo and kernel benchmark pages on 127.0.0.1',
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string', default: '8080' },
        'open-browser': { type: 'string' },
        run: { type: 'string' },
        data: { type: 'string' },
        'test-limit': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    const open = values['open-browser'] ?? (hasDisplay() ? 'yes' : 'no');
    if (open !== 'yes' && open !== 'no') throw new UsageError(`--open-browser must be yes or no, got '${open}'`);
    if (values.run !== undefined) checkRunDir(values.run);
    const testLimit = values['test-limit'] === undefined ? undefined : Number(values['test-limit']);
    if (testLimit !== undefined && !(Number.isInteger(testLimit) && testLimit >= 2))
      throw new Error(`--test-limit must be an integer ≥ 2, got '${values['test-limit']}'`);
    const site = await startDemoSite({
      port: parsePort(values.port!),
      runDir: values.run,
      dataPath: values.data,
      testLimit,
      log: console.log,
    });
    console.log(
      `medtrim demo: serving ${site.url} (kernel benchmarks: ${site.url}bench.html${values.run ? `, run directory: ${site.url}run/` : ''}); Ctrl-C stops`,
    );
    if (open === 'yes') openBrowser(site.url);
    await new Promise<void>((resolve) => {
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
    });
    await site.close();
    return 0;
  },
};
export default demo;
