// The demo site: web/ at '/', the browser bundle (dist/web/, rebuilt first when stale) at '/dist/', and
// optionally a training run directory at '/run/' (config, vocabulary, checkpoint) — read-only — and
// '/site/site.json', which tells the page whether a run is served (so it never has to probe for a 404).
// For a run trained on files (config.data), the site also lists the run's test samples (its splits.csv) in
// '/site/test-split.json' and serves exactly their images under '/data/' — read-only, only files inside
// the data folder, nothing else of it.
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureWebBundle, WEB_BUNDLE_DIR } from './build-web.js';
import { loadRecords } from '../../data/open-data.js';
import { parseSplits } from '../../data/splits.js';
import { resolveConfig, type TrainConfig } from '../../train/config.js';
import { DATA_FILES } from '../../train/run-data.js';
import { RUN_FILES } from '../../train/run-setup.js';
import { startStaticServer, type Mount, type StaticServer } from './static-server.js';

export const WEB_PAGES_DIR = fileURLToPath(new URL('../../../web/', import.meta.url));

/** Test samples the page embeds for a real-data run, at most this many unless told otherwise. */
export const DEFAULT_TEST_LIMIT = 200;

export interface DemoSiteOptions {
  port?: number;
  /** A directory to expose read-only under /run/. */
  runDir?: string;
  /** Where the run's real data is now, when it moved since training. */
  dataPath?: string;
  /** Most test samples listed for a real-data run. */
  testLimit?: number;
  log?: (line: string) => void;
}

/** What /site/site.json says; the page reads it at start-up. */
export interface SiteInfo {
  /** URL prefix of the served run directory, or null. */
  run: string | null;
  /** For a run trained on files: URL of its test samples' listing (ServedSample[]), else absent or null. */
  testSplit?: string | null;
}

/** One test sample of a real-data run as the page receives it: its image is a URL under /data/. */
export interface ServedSample {
  id: string;
  report: string;
  patientId?: string;
  studyId?: string;
  image: string;
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel);
}

/**
 * The run's test samples and the files behind their image URLs; null for a run on the built-in data, and for
 * a config.json that does not parse (the page loads it and reports it by name).
 */
export function testSplitListing(
  runDir: string,
  options: Pick<DemoSiteOptions, 'dataPath' | 'testLimit' | 'log'> = {},
): { samples: ServedSample[]; files: Record<string, string> } | null {
  const configPath = join(runDir, RUN_FILES.config);
  let config: TrainConfig;
  try {
    config = resolveConfig(JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>, configPath);
  } catch {
    return null;
  }
  if (config.data === null) return null;
  const path = resolve(options.dataPath ?? config.data);
  const splitsPath = join(runDir, DATA_FILES.splits);
  const splits = parseSplits(readFileSync(splitsPath, 'utf8'), splitsPath);
  const { records } = loadRecords(path, { sections: config.reportSections, warn: () => {} });
  const root = realpathSync(statSync(path).isFile() ? dirname(path) : path);
  const samples: ServedSample[] = [];
  const files: Record<string, string> = {};
  for (const r of records) {
    if (samples.length >= (options.testLimit ?? DEFAULT_TEST_LIMIT)) break;
    if (splits.get(r.id) !== 'test') continue;
    const real = realpathSync(r.imagePath);
    if (!inside(root, real)) {
      options.log?.(`medtrim demo: not serving ${r.imagePath}: outside the data folder ${root}`);
      continue;
    }
    const name = `${samples.length}${extname(real).toLowerCase()}`;
    files[name] = real;
    samples.push({ id: r.id, report: r.report, patientId: r.patientId, studyId: r.studyId, image: `/data/${name}` });
  }
  if (samples.length < 2) throw new Error(`${splitsPath}: fewer than 2 test samples of ${path} can be served`);
  return { samples, files };
}

export function demoMounts(
  runDir?: string,
  options: Pick<DemoSiteOptions, 'dataPath' | 'testLimit' | 'log'> = {},
): Mount[] {
  const listing = runDir ? testSplitListing(runDir, options) : null;
  const info: SiteInfo = { run: runDir ? '/run/' : null, ...(listing ? { testSplit: '/site/test-split.json' } : {}) };
  const siteFiles: Record<string, string> = { 'site.json': JSON.stringify(info) };
  if (listing) siteFiles['test-split.json'] = JSON.stringify(listing.samples);
  const mounts: Mount[] = [
    { prefix: '/', dir: WEB_PAGES_DIR },
    { prefix: '/dist/', dir: WEB_BUNDLE_DIR },
    { prefix: '/site/', files: siteFiles },
  ];
  if (runDir) mounts.push({ prefix: '/run/', dir: runDir });
  if (listing) mounts.push({ prefix: '/data/', listed: listing.files });
  return mounts;
}

export async function startDemoSite(options: DemoSiteOptions = {}): Promise<StaticServer> {
  await ensureWebBundle(options.log);
  return startStaticServer(demoMounts(options.runDir, options), options.port ?? 0);
}
