// The demo's static server, probed with raw HTTP on 127.0.0.1: content types, HEAD, 404/405, and every
// way of reaching a file outside the served directory (which holds a secret next to it).
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStaticServer, type StaticServer } from '../../src/web/node/static-server.js';
import { rawRequest } from './raw-http.js';

const SECRET = 'secret-outside-the-served-directory';
let base: string;
let server: StaticServer;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'medtrim-static-'));
  const site = join(base, 'site');
  mkdirSync(join(site, 'sub'), { recursive: true });
  mkdirSync(join(base, 'dist'));
  mkdirSync(join(base, 'outside'));
  writeFileSync(join(base, 'secret.txt'), SECRET);
  writeFileSync(join(base, 'outside', 'secret.txt'), SECRET);
  writeFileSync(join(site, 'index.html'), '<p>home</p>');
  writeFileSync(join(site, 'app.js'), 'export const x = 1;');
  writeFileSync(join(site, 'style.css'), 'p {}');
  writeFileSync(join(site, 'weights.bin'), new Uint8Array([1, 2, 3]));
  writeFileSync(join(site, 'sub', 'index.html'), '<p>sub</p>');
  writeFileSync(join(base, 'dist', 'bundle.js'), 'export const bundled = true;');
  symlinkSync(join(base, 'secret.txt'), join(site, 'link-out.txt'));
  symlinkSync(join(base, 'outside'), join(site, 'dir-out'));
  symlinkSync(join(site, 'app.js'), join(site, 'link-in.js'));
  server = await startStaticServer([
    { prefix: '/', dir: site },
    { prefix: '/dist/', dir: join(base, 'dist') },
  ]);
});

afterAll(async () => {
  await server.close();
  rmSync(base, { recursive: true, force: true });
});

describe('static server', () => {
  it('listens on 127.0.0.1 only', () => {
    const address = server.server.address() as AddressInfo;
    expect(address.address).toBe('127.0.0.1');
    expect(server.url).toBe(`http://127.0.0.1:${address.port}/`);
  });

  it.each([
    ['/', 'text/html; charset=utf-8', '<p>home</p>'],
    ['/app.js', 'text/javascript; charset=utf-8', 'export const x = 1;'],
    ['/style.css', 'text/css; charset=utf-8', 'p {}'],
    ['/sub/', 'text/html; charset=utf-8', '<p>sub</p>'],
    ['/app.js?v=3#frag', 'text/javascript; charset=utf-8', 'export const x = 1;'],
    ['/dist/bundle.js', 'text/javascript; charset=utf-8', 'export const bundled = true;'],
    ['/link-in.js', 'text/javascript; charset=utf-8', 'export const x = 1;'],
  ])('GET %s → 200 %s', async (target, type, body) => {
    const res = await rawRequest(server.port, 'GET', target);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe(type);
    expect(res.body).toBe(body);
    expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(body));
  });

  it('serves unknown extensions as application/octet-stream', async () => {
    const res = await rawRequest(server.port, 'GET', '/weights.bin');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/octet-stream');
  });

  it('answers HEAD with the headers and no body', async () => {
    const res = await rawRequest(server.port, 'HEAD', '/app.js');
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe('19');
    expect(res.body).toBe('');
  });

  it.each(['POST', 'PUT', 'DELETE', 'OPTIONS'])('refuses %s with 405', async (method) => {
    const res = await rawRequest(server.port, method, '/app.js');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
  });

  it.each(['/missing.js', '/sub/missing.html', '/app.js/', '/dist/'])('GET %s → 404', async (target) => {
    expect((await rawRequest(server.port, 'GET', target)).status).toBe(404);
  });

  it.each([
    '/../secret.txt',
    '/sub/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/%2E%2E/secret.txt',
    '/sub/%2e%2e%2f%2e%2e%2fsecret.txt',
    '/.%2e/secret.txt',
    '/..%5csecret.txt',
    '//etc/passwd',
    '/%2fetc%2fpasswd',
    '/dist/../../secret.txt',
    '/secret.txt%00.html',
    '/%zz',
    'http://127.0.0.1/../secret.txt',
    '*',
  ])('rejects %s with 400', async (target) => {
    const res = await rawRequest(server.port, 'GET', target);
    expect(res.status).toBe(400);
    expect(res.body).not.toContain(SECRET);
  });

  it.each(['/link-out.txt', '/dir-out/secret.txt', '/secret.txt'])(
    'does not follow %s outside the directory (404)',
    async (target) => {
      const res = await rawRequest(server.port, 'GET', target);
      expect(res.status).toBe(404);
      expect(res.body).not.toContain(SECRET);
    },
  );

  it('fails to start on a directory that does not exist, naming it', async () => {
    await expect(startStaticServer([{ prefix: '/', dir: join(base, 'nope') }])).rejects.toThrow(
      /cannot serve .*nope: no such directory/,
    );
  });
});
