// What a crash leaves in a run directory is tolerated, and nothing more: a torn last line of log.jsonl is
// dropped with a warning (a bad line anywhere else is an error); temporary files of writes killed mid-way
// are removed when the run is next opened (a live writer's are kept); the demo's server serves neither
// those nor dotfiles.
import { mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { readLog, removeStaleTemps } from '../src/train/run.js';
import { startStaticServer } from '../src/web/node/static-server.js';
import { rawRequest } from './browser/raw-http.js';

const entry = (step: number) => JSON.stringify({ step, loss: 0.5, lr: 1e-3, samplesPerSec: 10 }) + '\n';

afterEach(() => vi.restoreAllMocks());

describe('readLog', () => {
  it('drops a torn last line with a warning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'medtrim-log-'));
    writeFileSync(join(dir, 'log.jsonl'), entry(1) + entry(2) + '{"step":3,"lo');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(readLog(dir).map((e) => e.step)).toEqual([1, 2]);
    expect(warn).toHaveBeenCalledWith(
      `${join(dir, 'log.jsonl')}: dropping the torn last line 3 (an interrupted write)`,
    );
  });

  it('rejects a bad line that is not the unterminated last one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'medtrim-log-'));
    writeFileSync(join(dir, 'log.jsonl'), entry(1) + '{"step":2,"lo\n' + entry(3));
    expect(() => readLog(dir)).toThrow(`${join(dir, 'log.jsonl')}: line 2 is not a log entry`);
    writeFileSync(join(dir, 'log.jsonl'), entry(1) + '{"step":2,"lo\n');
    expect(() => readLog(dir)).toThrow(`${join(dir, 'log.jsonl')}: line 2 is not a log entry`);
    writeFileSync(join(dir, 'log.jsonl'), entry(1) + '[1,2]\n');
    expect(() => readLog(dir)).toThrow(/line 2 is not a log entry/);
  });
});

describe('removeStaleTemps', () => {
  it("removes a dead writer's temporary files and keeps a live one's and everything else", () => {
    const dir = mkdtempSync(join(tmpdir(), 'medtrim-tmp-'));
    // 2^22 + 1 is above Linux's largest pid, so no process has it.
    const dead = `.checkpoint.safetensors.${2 ** 22 + 1}.0123456789ab.tmp`;
    const live = `.log.jsonl.${process.pid}.0123456789ab.tmp`;
    for (const name of [dead, live, 'checkpoint.safetensors', 'notes.tmp']) writeFileSync(join(dir, name), 'x');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(removeStaleTemps(dir)).toEqual([dead]);
    expect(readdirSync(dir).sort()).toEqual([live, 'checkpoint.safetensors', 'notes.tmp'].sort());
    expect(warn).toHaveBeenCalledWith(`${dir}: removed ${dead} (left by an interrupted write)`);
  });
});

describe('static server', () => {
  it('never serves dotfiles, dot-directories or temporary files, however they are reached', async () => {
    const site = mkdtempSync(join(tmpdir(), 'medtrim-hidden-'));
    mkdirSync(join(site, '.git'));
    writeFileSync(join(site, '.git', 'config'), 'secret');
    writeFileSync(join(site, '.env'), 'secret');
    writeFileSync(join(site, '.checkpoint.safetensors.123.0123456789ab.tmp'), 'partial');
    writeFileSync(join(site, 'upload.TMP'), 'partial');
    writeFileSync(join(site, 'checkpoint.safetensors'), 'whole');
    symlinkSync(join(site, '.env'), join(site, 'env.txt'));
    const server = await startStaticServer([{ prefix: '/', dir: site }]);
    try {
      for (const target of [
        '/.env',
        '/.git/config',
        '/%2egit/config',
        '/.checkpoint.safetensors.123.0123456789ab.tmp',
        '/upload.TMP',
        '/env.txt',
      ]) {
        const res = await rawRequest(server.port, 'GET', target);
        expect(res.status, target).toBe(404);
        expect(res.body, target).not.toMatch(/secret|partial/);
      }
      expect((await rawRequest(server.port, 'GET', '/checkpoint.safetensors')).body).toBe('whole');
    } finally {
      await server.close();
    }
  });
});
