// `medtrim demo` as a user runs it: prints its URL, serves the pages and the bundle on 127.0.0.1, serves a
// --run directory read-only under /run/, and rejects bad flags with a one-line error.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from './raw-http.js';

let child: ChildProcess;
let runDir: string;
let port: number;

/** Starts the CLI and resolves with the port from the URL it prints. */
function startDemo(args: string[]): Promise<number> {
  child = spawn(process.execPath, ['bin/medtrim.js', 'demo', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no URL printed within 60 s:\n${out}`)), 60_000);
    const take = (chunk: Buffer) => {
      out += chunk.toString();
      const match = /serving http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout!.on('data', take);
    child.stderr!.on('data', take);
    child.on('exit', (code) => reject(new Error(`demo exited with ${code}:\n${out}`)));
  });
}

beforeAll(async () => {
  runDir = mkdtempSync(join(tmpdir(), 'medtrim-run-'));
  writeFileSync(join(runDir, 'metrics.json'), '{"loss":[1,0.5]}');
  // Only served here, never parsed: the page's tests (demo-run.test.ts) use a real run.
  for (const file of ['config.json', 'vocab.txt', 'checkpoint.safetensors']) writeFileSync(join(runDir, file), '');
  port = await startDemo(['--port', '0', '--open-browser', 'no', '--run', runDir]);
});

afterAll(() => {
  child?.kill('SIGTERM');
  rmSync(runDir, { recursive: true, force: true });
});

describe('medtrim demo', () => {
  it('serves the demo page, the bench page and the bundle', async () => {
    const index = await rawRequest(port, 'GET', '/');
    expect(index.status).toBe(200);
    expect(index.body).toContain('<script type="module" src="/dist/index.js">');
    expect((await rawRequest(port, 'GET', '/bench.html')).body).toContain('/dist/bench.js');
    const bundle = await rawRequest(port, 'HEAD', '/dist/index.js');
    expect(bundle.status).toBe(200);
    expect(bundle.headers['content-type']).toBe('text/javascript; charset=utf-8');
  });

  it('serves the --run directory under /run/, and only GET/HEAD', async () => {
    const metrics = await rawRequest(port, 'GET', '/run/metrics.json');
    expect(metrics.status).toBe(200);
    expect(metrics.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(metrics.body)).toEqual({ loss: [1, 0.5] });
    expect((await rawRequest(port, 'PUT', '/run/metrics.json')).status).toBe(405);
    expect((await rawRequest(port, 'GET', '/run/%2e%2e/package.json')).status).toBe(400);
  });

  it('rejects a bad --open-browser value with a one-line error', () => {
    const r = spawnSync(process.execPath, ['bin/medtrim.js', 'demo', '--open-browser', 'maybe'], { encoding: 'utf8' });
    expect(r.status).toBe(2); // bad usage
    expect(r.stderr.trim()).toBe(
      "medtrim demo: --open-browser must be yes or no, got 'maybe' (see medtrim demo --help)",
    );
  });

  it('tells whether a run is served in /site/site.json', async () => {
    const info = await rawRequest(port, 'GET', '/site/site.json');
    expect(info.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(info.body)).toEqual({ run: '/run/' });
    expect((await rawRequest(port, 'GET', '/site/other.json')).status).toBe(404);
  });

  it('rejects a --run directory that holds no run, naming the missing files', () => {
    const r = spawnSync(
      process.execPath,
      ['bin/medtrim.js', 'demo', '--open-browser', 'no', '--port', '0', '--run', tmpdir()],
      { encoding: 'utf8' },
    );
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(
      `medtrim demo: --run ${tmpdir()}: config.json, vocab.txt, checkpoint.safetensors missing (not a run written by medtrim train, or no checkpoint yet)`,
    );
  });

  it('says when the port is taken', () => {
    const r = spawnSync(process.execPath, ['bin/medtrim.js', 'demo', '--port', String(port), '--open-browser', 'no'], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`));
  });
});
