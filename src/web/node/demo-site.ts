// The demo site: web/ at '/', the browser bundle (dist/web/, rebuilt first when stale) at '/dist/', and
// optionally a training run directory at '/run/' (checkpoints, the data set's test split) — read-only.
import { fileURLToPath } from 'node:url';
import { ensureWebBundle, WEB_BUNDLE_DIR } from '../../../scripts/build-web.js';
import { startStaticServer, type Mount, type StaticServer } from './static-server.js';

export const WEB_PAGES_DIR = fileURLToPath(new URL('../../../web/', import.meta.url));

export interface DemoSiteOptions {
  port?: number;
  /** A directory to expose read-only under /run/. */
  runDir?: string;
  log?: (line: string) => void;
}

export function demoMounts(runDir?: string): Mount[] {
  const mounts: Mount[] = [
    { prefix: '/', dir: WEB_PAGES_DIR },
    { prefix: '/dist/', dir: WEB_BUNDLE_DIR },
  ];
  if (runDir) mounts.push({ prefix: '/run/', dir: runDir });
  return mounts;
}

export async function startDemoSite(options: DemoSiteOptions = {}): Promise<StaticServer> {
  await ensureWebBundle(options.log);
  return startStaticServer(demoMounts(options.runDir), options.port ?? 0);
}
