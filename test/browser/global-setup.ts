// Builds the browser bundle once before the browser test files run (in parallel, they would race to write it).
import { ensureWebBundle } from '../../src/web/node/build-web.js';

export default async function setup(): Promise<void> {
  await ensureWebBundle((line) => console.log(`browser tests: ${line}`));
}
