// Killing a training run and resuming it loses nothing: the resumed run's log equals an uninterrupted run's,
// loss for loss, also when the crash tore the log's last line and left an atomic write's temporary file. The
// CLI runs in child processes on the adapter of the vitest project (MEDTRIM_BACKEND), on both adapters;
// SwiftShader trains fewer steps (each is several times slower there, and the resume logic is the same).
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { childPids, ended } from '../helpers/process.js';

const STEPS = process.env.MEDTRIM_BACKEND === 'swiftshader' ? 4 : 12;
const CONFIG = { steps: STEPS, batchSize: 4, dataCount: 80, checkpointEvery: 2, logEvery: 1, warmupSteps: 2 };

function trainArgs(dir: string, ...extra: string[]): string[] {
  return ['bin/medtrim.js', 'train', '--out', dir, '--no-eval', '--quiet', ...extra];
}

function losses(dir: string): [number, number][] {
  return readFileSync(join(dir, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { step: number; loss: number })
    .map((e) => [e.step, e.loss]);
}

describe('medtrim train: kill and resume', () => {
  it('resumes from the last checkpoint with the same losses as a run that never stopped', async () => {
    const root = mkdtempSync(join(tmpdir(), 'medtrim-resume-'));
    const config = join(root, 'config.json');
    writeFileSync(config, JSON.stringify(CONFIG));

    const whole = join(root, 'whole');
    const done = spawnSync(process.execPath, trainArgs(whole, '--config', config), { encoding: 'utf8' });
    expect(done.status, done.stderr).toBe(0);
    expect(losses(whole).map(([s]) => s)).toEqual(Array.from({ length: STEPS }, (_, i) => i + 1));

    // SIGKILL the second run once its first checkpoint exists: nothing after it is flushed or saved. The CLI
    // trains in a child process (bin/stderr-relay.js), so kill its process group, as a power loss would.
    const killed = join(root, 'killed');
    const child = spawn(process.execPath, trainArgs(killed, '--config', config), { stdio: 'ignore', detached: true });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    while (!existsSync(join(killed, 'checkpoint.safetensors'))) await new Promise((r) => setTimeout(r, 10));
    const trainer = childPids(child.pid!);
    expect(trainer).toHaveLength(1);
    process.kill(-child.pid!, 'SIGKILL');
    await exited;
    while (!ended(trainer[0]!)) await new Promise((r) => setTimeout(r, 10));
    const before = losses(killed);
    expect(before.length).toBeLessThan(STEPS); // it really was interrupted

    // What a power loss or a kill during a write leaves: a torn last log line, a temporary checkpoint file
    // (its writer's pid, 2^22 + 1, is above Linux's largest, so no live process has it).
    appendFileSync(join(killed, 'log.jsonl'), '{"step":99,"lo');
    const stale = `.checkpoint.safetensors.${2 ** 22 + 1}.0123456789ab.tmp`;
    writeFileSync(join(killed, stale), 'partial');

    const resumed = spawnSync(process.execPath, trainArgs(killed, '--resume'), { encoding: 'utf8' });
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/log\.jsonl: dropping the torn last line \d+ \(an interrupted write\)/);
    expect(resumed.stderr).toContain(`removed ${stale} (left by an interrupted write)`);
    expect(readdirSync(killed).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(losses(killed)).toEqual(losses(whole));
  });

  it('refuses to start a new run over an existing one, and to resume a run that has none', () => {
    const root = mkdtempSync(join(tmpdir(), 'medtrim-resume-'));
    const missing = spawnSync(process.execPath, trainArgs(join(root, 'nothing'), '--resume'), { encoding: 'utf8' });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/config\.json: missing/);
    const existing = join(root, 'existing');
    mkdirSync(existing);
    writeFileSync(join(existing, 'log.jsonl'), '');
    const over = spawnSync(process.execPath, trainArgs(existing), { encoding: 'utf8' });
    expect(over.status).toBe(1);
    expect(over.stderr).toMatch(/already holds a run \(use --resume/);
  });
});
