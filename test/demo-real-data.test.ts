// The demo site for a run trained on files: it lists the run's test samples (by the run's splits.csv) and
// serves exactly their images under /data/, read-only — no other file of the data folder, nothing outside it.
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadManifest } from '../src/data/loaders/manifest.js';
import { assignSplits, formatSplits } from '../src/data/splits.js';
import { resolveConfig } from '../src/train/config.js';
import { startDemoSite, type ServedSample, type SiteInfo } from '../src/web/node/demo-site.js';
import type { StaticServer } from '../src/web/node/static-server.js';
import { writeManifest } from './helpers/manifest.js';

describe('medtrim demo --run on a real-data run', () => {
  let site: StaticServer;
  let root: string;
  let testIds: string[];
  const logged: string[] = [];

  beforeAll(async () => {
    const data = writeManifest(30, { row: (r, i) => ({ ...r, split: i % 3 === 0 ? 'test' : 'train' }) });
    root = data.root;
    // One test row whose image lies outside the data folder: listed by the manifest, never served.
    const outside = join(mkdtempSync(join(tmpdir(), 'medtrim-outside-')), 'secret.png');
    copyFileSync(join(root, 'images', '0.png'), outside);
    writeFileSync(
      data.manifest,
      readFileSync(data.manifest, 'utf8') +
        JSON.stringify({
          id: 'outside',
          image: `../${join(dirname(outside).split('/').pop()!, 'secret.png')}`,
          report: 'Normal.',
          split: 'test',
        }) +
        '\n',
    );
    const run = mkdtempSync(join(tmpdir(), 'medtrim-demo-run-'));
    writeFileSync(join(run, 'config.json'), JSON.stringify(resolveConfig({ data: data.manifest })));
    const { records } = loadManifest(data.manifest, { strict: true });
    assignSplits(records);
    writeFileSync(join(run, 'splits.csv'), formatSplits(records));
    testIds = records.filter((r) => r.split === 'test' && r.id !== 'outside').map((r) => r.id);
    site = await startDemoSite({ runDir: run, testLimit: 100, log: (l) => logged.push(l) });
  });
  afterAll(() => site?.close());

  const get = (path: string) => fetch(new URL(path, site.url));

  it('lists the test samples in site.json / test-split.json and serves their images byte for byte', async () => {
    const info = (await (await get('/site/site.json')).json()) as SiteInfo;
    expect(info).toEqual({ run: '/run/', testSplit: '/site/test-split.json' });
    const listing = (await (await get('/site/test-split.json')).json()) as ServedSample[];
    expect(listing.map((s) => s.id)).toEqual(testIds);
    const first = await get(listing[0]!.image);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('image/png');
    expect(new Uint8Array(await first.arrayBuffer())).toEqual(
      new Uint8Array(readFileSync(join(root, 'images', '0.png'))),
    );
    expect(logged.some((l) => l.includes('secret.png') && l.includes('outside the data folder'))).toBe(true);
  });

  it('serves nothing else: no manifest, no training image, no path out of the folder', async () => {
    const listing = (await (await get('/site/test-split.json')).json()) as ServedSample[];
    for (const path of [
      '/data/manifest.jsonl',
      '/data/images/1.png',
      `/data/${listing.length}.png`,
      '/data/secret.png',
    ])
      expect((await get(path)).status, path).toBe(404);
    expect([400, 404]).toContain((await get('/data/%2e%2e/manifest.jsonl')).status);
    expect((await fetch(new URL('/data/0.png', site.url), { method: 'PUT' })).status).toBe(405);
  });
});
