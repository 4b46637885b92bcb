// Builds the browser bundle (src/web/node/build-web.ts) into dist/web/.
//   npx tsx scripts/build-web.ts [--if-stale]
import { buildWeb, ensureWebBundle, WEB_BUNDLE_DIR } from '../src/web/node/build-web.js';

const ifStale = process.argv.includes('--if-stale');
const run = ifStale ? ensureWebBundle(console.log) : buildWeb();
run.then(
  (built) => {
    if (!built) console.log(`${WEB_BUNDLE_DIR} is up to date`);
    else if (!ifStale) {
      for (const [file, bytes] of Object.entries(built.outputs))
        console.log(`${file.padEnd(40)} ${(bytes / 1024).toFixed(1)} KiB`);
      console.log(`total ${(built.totalBytes / 1024).toFixed(1)} KiB in ${built.milliseconds.toFixed(0)} ms`);
    }
  },
  (err: unknown) => {
    console.error(`build-web: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
