// The CLI runs in a child process whose stderr is relayed without Dawn's two "artificially reduced" warnings
// (bin/stderr-relay.js). The filter on its own; then the relay around a stand-in CLI whose child does what each
// test asks (test/fixtures/relay/cli.mjs): what passes and how soon, exit codes, deaths by signal, signals sent
// to a terminal's process group or to the CLI's pid alone, kill -9, a terminal on stderr and its resizing; then
// the real CLI.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { dawnLineFilter } from '../bin/stderr-relay.js';
import { childPids, ended } from './helpers/process.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE = 'test/fixtures/relay/cli.mjs';
const DAWN = [
  'Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 90 to 16 to fit dynamic offset allocation limit.\n',
  'Warning: maxDynamicStorageBuffersPerPipelineLayout artificially reduced from 80 to 16 to fit dynamic offset allocation limit.\n',
];

describe('dawnLineFilter', () => {
  const kept =
    'medtrim info: first\nWarning: maxDynamicUniformBuffers is not Dawn\n\rtrain |█░| 1/2\rtrain |██| 2/2\ndone';
  const text = `${DAWN[0]}medtrim info: first\n${DAWN[1]}Warning: maxDynamicUniformBuffers is not Dawn\n\rtrain |█░| 1/2\rtrain |██| 2/2\n${DAWN[0]}done`;
  const bytes = (s: string) => Buffer.from(s, 'utf8').toString('latin1');

  it("drops exactly Dawn's lines, whole or split anywhere, and keeps every other byte", () => {
    const whole = dawnLineFilter();
    expect(whole.push(bytes(text)) + whole.end()).toBe(bytes(kept));
    for (const size of [1, 2, 7, 50]) {
      const filter = dawnLineFilter();
      let out = '';
      for (let at = 0; at < bytes(text).length; at += size) out += filter.push(bytes(text).slice(at, at + size));
      expect(Buffer.from(out + filter.end(), 'latin1').toString('utf8'), `chunks of ${size}`).toBe(kept);
    }
  });

  it('passes a line that has not ended at once, unless it may still become one of Dawn’s', () => {
    const filter = dawnLineFilter();
    expect(filter.push('\rtrain |█░| 1/2')).toBe('\rtrain |█░| 1/2');
    expect(filter.push('\rtrain |██| 2/2')).toBe('\rtrain |██| 2/2');
    expect(filter.push('\nWarn')).toBe('\n');
    expect(filter.push('ing: maxDynamicStorage')).toBe('');
    expect(filter.push('Buffers, but not Dawn’s')).toBe('Warning: maxDynamicStorageBuffers, but not Dawn’s');
    expect(filter.push('\nWarning: ')).toBe('\n');
    expect(filter.end()).toBe('Warning: ');
  });
});

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** When the CLI has exited and its output has closed. */
  done: Promise<{ status: number | null; signal: NodeJS.Signals | null }>;
  /** When the CLI has exited (its output may stay open in a child that outlives it). */
  exited: Promise<{ status: number | null; signal: NodeJS.Signals | null }>;
}

function start(args: string[], options: { detached?: boolean } = {}): Run {
  const child = spawn(process.execPath, [FIXTURE, ...args], { cwd: ROOT, stdio: 'pipe', ...options });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ status: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (status, signal) => resolve({ status, signal })),
  );
  const exited = new Promise<{ status: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (status, signal) => resolve({ status, signal })),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, done, exited };
}

async function until(what: string, test: () => boolean, ms = 30_000): Promise<void> {
  for (const end = Date.now() + ms; !test(); await new Promise((r) => setTimeout(r, 10)))
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
}

/** The relayed child's pid, which the fixture's `wait` and `graceful` print first. */
async function childPid(run: Run): Promise<number> {
  await until('the child pid', () => /^pid \d+\n/.test(run.stdout()));
  return Number(/^pid (\d+)/.exec(run.stdout())![1]);
}

describe('the relay around a CLI', () => {
  it("drops Dawn's lines and passes the rest, a progress line before its newline", async () => {
    const run = start(['dawn']);
    // The child draws step 2 only after the test has seen step 1, and step 3 after step 2: a relay that held
    // back a line until its newline would hang here.
    for (const step of [1, 2]) {
      await until(`progress ${step}/3`, () => run.stderr().endsWith(`\rprogress ${step}/3`));
      run.child.stdin!.write('next\n');
    }
    expect(await run.done).toEqual({ status: 0, signal: null });
    expect(run.stderr()).toBe(
      'first line\nWarning: something else\n\rprogress 1/3\rprogress 2/3\rprogress 3/3\nlast line, no newline',
    );
  });

  it("ends with the child's exit code, or dies of the signal that killed it", async () => {
    for (const code of [0, 1, 2, 7])
      expect(await start(['exit', String(code)]).done).toEqual({ status: code, signal: null });
    for (const signal of ['SIGUSR2', 'SIGKILL'] as const)
      expect(await start(['die', signal]).done).toEqual({ status: null, signal });
  });

  it('a signal to the process group (a terminal’s Ctrl-C) reaches the child once; so does one sent to the CLI alone', async () => {
    for (const [signal, group] of [
      ['SIGINT', true],
      ['SIGTERM', true],
      ['SIGINT', false],
      ['SIGTERM', false],
    ] as const) {
      const run = start(['graceful'], { detached: true });
      await childPid(run);
      process.kill(group ? -run.child.pid! : run.child.pid!, signal);
      expect(await run.done, `${signal} to the ${group ? 'group' : 'CLI'}`).toEqual({ status: 0, signal: null });
      expect(run.stdout()).toMatch(/\nsignals 1\n$/);
    }
  });

  it('a child that does not listen for the signal dies of it, and so does the CLI; kill -9 leaves no orphan', async () => {
    for (const [signal, group] of [
      ['SIGINT', true],
      ['SIGTERM', false],
      ['SIGKILL', false],
    ] as const) {
      const run = start(['wait'], { detached: true });
      const pid = await childPid(run);
      process.kill(group ? -run.child.pid! : run.child.pid!, signal);
      expect(await run.exited).toEqual({ status: null, signal });
      await until(`the end of the child after ${signal}`, () => ended(pid), 10_000);
    }
  });

  it('the child sees a terminal on stderr when the user has one, and a pipe when not', () => {
    const piped = spawnSync(process.execPath, [FIXTURE, 'tty'], { cwd: ROOT, encoding: 'utf8' });
    expect(JSON.parse(piped.stdout)).toEqual({ isTTY: false, colours: false });
    // `script` runs the command on a pseudo-terminal; a clean environment, since Node's colour depth also reads
    // CI markers (CI=true gives 2 colours) and FORCE_COLOR / NO_COLOR.
    const command = `stty cols 97; env -i PATH="$PATH" TERM=xterm-256color ${process.execPath} ${FIXTURE} tty`;
    const terminal = spawnSync('script', ['-qec', command, '/dev/null'], { cwd: ROOT, encoding: 'utf8' });
    expect(terminal.status, terminal.stderr).toBe(0);
    expect(JSON.parse(terminal.stdout.trim())).toEqual({ isTTY: true, columns: 97, colours: true });
  });

  it('the child hears of a resized terminal', () => {
    const dir = mkdtempSync(join(tmpdir(), 'medtrim-relay-'));
    const out = join(dir, 'out');
    const command = [
      `stty cols 97; ${process.execPath} ${FIXTURE} resize > ${out} &`,
      `until grep -q waiting ${out} 2>/dev/null; do sleep 0.05; done; stty cols 51; wait; cat ${out}`,
    ].join(' ');
    const terminal = spawnSync('script', ['-qec', command, '/dev/null'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    rmSync(dir, { recursive: true, force: true });
    expect(terminal.stdout.replaceAll('\r', '')).toBe('waiting\ncolumns 51\n');
  });
});

describe('medtrim through the relay', () => {
  function medtrim(args: string[], input?: string) {
    return spawnSync(process.execPath, ['bin/medtrim.js', ...args], { cwd: ROOT, input, encoding: 'utf8' });
  }

  it('reads stdin, and exits 0, 1 or 2 with its one-line message', () => {
    const ok = medtrim(['tokenize'], 'hello world\n');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toBe('[101,7592,2088,102]\n');
    const error = medtrim(['tokenize', '--max-length', 'x'], '');
    expect([error.status, error.stderr]).toEqual([
      1,
      "medtrim tokenize: --max-length must be an integer >= 2, got 'x'\n",
    ]);
    const usage = medtrim(['train', '--bogus']);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/^medtrim train: Unknown option '--bogus'[^\n]*\n$/);
  });

  it('dies of the signal that killed the command', async () => {
    const child = spawn(process.execPath, ['bin/medtrim.js', 'tokenize'], { cwd: ROOT, stdio: 'pipe' });
    const done = new Promise((resolve) => child.on('close', (status, signal) => resolve({ status, signal })));
    await until('the relayed child', () => childPids(child.pid!).length === 1);
    process.kill(childPids(child.pid!)[0]!, 'SIGKILL');
    expect(await done).toEqual({ status: null, signal: 'SIGKILL' });
  });
});
