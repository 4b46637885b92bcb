// Benchmark output: a markdown table and JSON, written to bench/results/<name>.{md,json}.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';

const RESULTS_DIR = new URL('../../bench/results/', import.meta.url);

/** Parsed JSON of every results file whose name starts with `prefix`, with the file name. */
export function readResults(prefix: string): { file: string; json: unknown }[] {
  return readdirSync(RESULTS_DIR)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.json'))
    .sort()
    .map((file) => {
      try {
        return { file, json: JSON.parse(readFileSync(new URL(file, RESULTS_DIR), 'utf8')) as unknown };
      } catch (err) {
        throw new Error(`bench/results/${file}: ${(err as Error).message}`);
      }
    });
}

/** Writes `<dir>/<name>.md` and `.json` (dir: bench/results unless given, a path or file URL). */
export function writeResults(
  name: string,
  markdown: string,
  json: unknown,
  dir: URL = RESULTS_DIR,
): { md: string; json: string } {
  if (!dir.href.endsWith('/')) dir = new URL(`${dir.href}/`);
  mkdirSync(dir, { recursive: true });
  const md = new URL(`${name}.md`, dir);
  const js = new URL(`${name}.json`, dir);
  writeFileSync(md, markdown + '\n');
  writeFileSync(js, JSON.stringify(json, null, 2) + '\n');
  return { md: md.pathname, json: js.pathname };
}
