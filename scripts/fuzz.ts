// The long fuzz run: `npm run fuzz -- --count 10000` runs that many seeded, mutated inputs through each
// parser (test/helpers/fuzz.ts: what an input is and what passes) and writes bench/results/fuzz.md.
// Each target runs in a child process watched from here, so an input that hangs is killed, reported
// and skipped rather than stalling the run; failing inputs are saved beside the result.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type FuzzFailure, type FuzzSummary, fuzzTarget, fuzzTargets, mutatedInput } from '../test/helpers/fuzz.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const HELP = `usage: npm run fuzz -- [--count N] [--seed S] [--targets a,b] [--max-bytes B] [--time-limit MS] [--hang-limit MS] [--out FILE]

  --count N         inputs per parser (default 10000)
  --seed S          mutation seed (default 20261206, the CI test's)
  --targets a,b     only these parsers (default all: ${fuzzTargets()
    .map((t) => t.name)
    .join(', ')})
  --max-bytes B     largest input (default 65536)
  --time-limit MS   an input slower than this fails (default 2000)
  --hang-limit MS   an input still running after this is killed and reported as a hang (default 30000)
  --out FILE        the result (default bench/results/fuzz.md; failing inputs go to its folder's fuzz-failures/)`;

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got '${value}'`);
  return n;
}

const { values } = parseArgs({
  options: {
    count: { type: 'string' },
    seed: { type: 'string' },
    targets: { type: 'string' },
    'max-bytes': { type: 'string' },
    'time-limit': { type: 'string' },
    'hang-limit': { type: 'string' },
    out: { type: 'string' },
    child: { type: 'string' },
    first: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

const seed = positiveInt('seed', values.seed, 20261206);
const count = positiveInt('count', values.count, 10_000);
const maxBytes = positiveInt('max-bytes', values['max-bytes'], 65_536);
const timeLimitMs = positiveInt('time-limit', values['time-limit'], 2000);
const hangLimitMs = positiveInt('hang-limit', values['hang-limit'], 30_000);

type WireFailure = Omit<FuzzFailure, 'input'> & { input: string };

const toWire = (f: FuzzFailure): WireFailure => ({
  ...f,
  input: Buffer.from(f.input.buffer, f.input.byteOffset, f.input.byteLength).toString('base64'),
});
const fromWire = (f: WireFailure): FuzzFailure => ({ ...f, input: Buffer.from(f.input, 'base64') });

/**
 * Child mode: runs inputs [first, first + count) of one target. Before each input it prints the
 * failures found so far that it has not printed and "at INDEX REFUSED SLOWEST LARGEST", so that if the
 * input hangs the parent still has everything before it; "done …" ends the run.
 */
async function child(name: string, first: number): Promise<void> {
  const target = fuzzTargets().find((t) => t.name === name)!;
  const scratch = mkdtempSync(join(tmpdir(), `medtrim-fuzz-${name}-`));
  let printed = 0;
  const report = (s: FuzzSummary) => {
    for (; printed < s.failures.length; printed++)
      process.stdout.write(`fail ${JSON.stringify(toWire(s.failures[printed]))}\n`);
  };
  try {
    const summary = await fuzzTarget(target, {
      seed,
      count,
      first,
      maxBytes,
      timeLimitMs,
      scratch,
      onInput: (i, s) => {
        report(s);
        process.stdout.write(`at ${i} ${s.refused} ${s.slowestMs} ${s.largestInput}\n`);
      },
    });
    report(summary);
    process.stdout.write(`done ${summary.inputs} ${summary.refused} ${summary.slowestMs} ${summary.largestInput}\n`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Runs one target's inputs from `first` in a child: what it got through, and the index it hung on if it did. */
function runChild(
  name: string,
  first: number,
  n: number,
): Promise<{ summary: FuzzSummary; hungAt?: number; exit?: string }> {
  return new Promise((resolve) => {
    const args = [
      '--import',
      'tsx',
      fileURLToPath(import.meta.url),
      '--child',
      name,
      '--first',
      String(first),
      '--count',
      String(n),
      '--seed',
      String(seed),
      '--max-bytes',
      String(maxBytes),
      '--time-limit',
      String(timeLimitMs),
    ];
    const proc = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    const summary: FuzzSummary = { target: name, inputs: 0, refused: 0, slowestMs: 0, largestInput: 0, failures: [] };
    let at = first;
    let done = false;
    let buffered = '';
    // Starting the child (tsx, the ontology) takes seconds on a loaded machine; the limit is per input after that.
    let timer = setTimeout(() => proc.kill('SIGKILL'), hangLimitMs + 60_000);
    proc.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const [word, ...fields] = line.split(' ');
        if (word === 'fail') summary.failures.push(fromWire(JSON.parse(line.slice(5)) as WireFailure));
        else if (word === 'at' || word === 'done') {
          const [a, refused, slowest, largest] = fields.map(Number);
          if (word === 'at') {
            at = a;
            summary.inputs = a - first;
            clearTimeout(timer);
            timer = setTimeout(() => proc.kill('SIGKILL'), hangLimitMs);
          } else {
            summary.inputs = a;
            done = true;
          }
          Object.assign(summary, { refused, slowestMs: slowest, largestInput: largest });
        }
      }
    });
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      if (done) resolve({ summary });
      else resolve({ summary, hungAt: at, exit: signal === 'SIGKILL' ? undefined : `exited with ${signal ?? code}` });
    });
  });
}

async function parent(): Promise<void> {
  const all = fuzzTargets();
  const names = values.targets ? values.targets.split(',') : all.map((t) => t.name);
  for (const n of names) if (!all.some((t) => t.name === n)) throw new Error(`unknown target '${n}' (see --help)`);
  const out = values.out ?? join(root, 'bench', 'results', 'fuzz.md');
  const failureDir = join(dirname(out), 'fuzz-failures');
  const started = Date.now();
  const load = loadavg()[0];
  const rows: string[] = [];
  const details: string[] = [];
  let failed = 0;
  for (const name of names) {
    const total: FuzzSummary = { target: name, inputs: 0, refused: 0, slowestMs: 0, largestInput: 0, failures: [] };
    const t0 = Date.now();
    for (let first = 0; first < count; ) {
      const r = await runChild(name, first, count - first);
      total.inputs += r.summary.inputs;
      total.refused += r.summary.refused;
      total.slowestMs = Math.max(total.slowestMs, r.summary.slowestMs);
      total.largestInput = Math.max(total.largestInput, r.summary.largestInput);
      total.failures.push(...r.summary.failures);
      if (r.hungAt === undefined) break;
      // The child hung (or died) on input hungAt: report it and go on after it.
      const index = r.hungAt;
      const target = all.find((t) => t.name === name)!;
      total.failures.push({
        target: name,
        index,
        problem: r.exit ? `the process ${r.exit}` : `still running after ${hangLimitMs} ms (killed)`,
        input: mutatedInput(target, seed, index, maxBytes),
      });
      total.inputs++;
      first = index + 1;
    }
    const seconds = (Date.now() - t0) / 1000;
    console.log(
      `${name}: ${total.inputs} inputs, ${total.refused} refused, slowest ${total.slowestMs.toFixed(0)} ms, ${total.failures.length} failures (${seconds.toFixed(0)} s)`,
    );
    rows.push(
      `| ${name} | ${total.inputs} | ${total.refused} | ${total.inputs - total.refused} | ${total.largestInput} | ${total.slowestMs.toFixed(0)} | ${seconds.toFixed(0)} | ${total.failures.length} |`,
    );
    for (const f of total.failures) {
      failed++;
      mkdirSync(failureDir, { recursive: true });
      const file = join(failureDir, `${name}-${f.index}.bin`);
      writeFileSync(file, f.input);
      details.push(
        `- ${name} input ${f.index} (${f.input.length} bytes, saved as \`${join('fuzz-failures', `${name}-${f.index}.bin`)}\`): ${f.problem.replace(/\n/g, ' ')}`,
      );
    }
  }
  const command = `npm run fuzz -- --count ${count}${values.seed ? ` --seed ${seed}` : ''}${values.targets ? ` --targets ${values.targets}` : ''}${values['max-bytes'] ? ` --max-bytes ${maxBytes}` : ''}`;
  const md = [
    '# Parser fuzzing',
    '',
    `\`${command}\` (seed ${seed}, inputs up to ${maxBytes} bytes, ${timeLimitMs} ms allowed per input), ${new Date(started).toISOString().slice(0, 16)} UTC,`,
    `${cpus().length} cores, load average ${load.toFixed(1)} at the start; ${((Date.now() - started) / 1000).toFixed(0)} s in all.`,
    'An input passes when the parser returns output bounded by its size or refuses it with a one-line Error; "refused" counts',
    'inputs refused wholly or in part (an error record for a report), "accepted" the rest. Times are wall clock on a shared machine.',
    '',
    '| parser | inputs | refused | accepted | largest input (bytes) | slowest (ms) | run (s) | failures |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    failed === 0 ? 'No failures.' : `${failed} failures:\n\n${details.join('\n')}`,
    '',
  ].join('\n');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, md);
  console.log(`wrote ${out}`);
  process.exitCode = failed === 0 ? 0 : 1;
}

if (values.help) console.log(HELP);
else if (values.child) await child(values.child, Number(values.first ?? 0));
else await parent();
