// The demo site: web/ at '/', the browser bundle (dist/web/, rebuilt first when stale) at '/dist/', and
// optionally a training run directory at '/run/' (config, vocabulary, checkpoint) — read-only — and
// '/site/site.json', which tells the page whether a run is served (so it never has to probe for a 404).
import { fileURLToPath } from 'node:url';
import { ensureWebBundle, WEB_BUNDLE_DIR } from './build-web.js';
import { startStaticServer, type Mount, type StaticServer } from './static-server.js';

export const WEB_PAGES_DIR = fileURLToPath(new URL('../../../web/', import.meta.url));

export interface DemoSiteOptions {
  port?: number;
  /** A directory to expose read-only under /run/. */
  runDir?: string;
  log?: (line: string) => void;
}

/** What /site/site.json says; the page reads it at start-up. */
export interface SiteInfo {
  /** URL prefix of the served run directory, or null. */
  run: string | null;
}

export function demoMounts(runDir?: string): Mount[] {
  const info: SiteInfo = { run: runDir ? '/run/' : null };
  const mounts: Mount[] = [
    { prefix: '/', dir: WEB_PAGES_DIR },
    { prefix: '/dist/', dir: WEB_BUNDLE_DIR },
    { prefix: '/site/', files: { 'site.json': JSON.stringify(info) } },
  ];
  if (runDir) mounts.push({ prefix: '/run/', dir: runDir });
  return mounts;
}

export async function startDemoSite(options: DemoSiteOptions = {}): Promise<StaticServer> {
  await ensureWebBundle(options.log);
  return startStaticServer(demoMounts(options.runDir), options.port ?? 0);
}
