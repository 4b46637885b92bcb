// Benchmark output: a markdown table and JSON, written to bench/results/<name>.{md,json}.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AdapterDescription } from '../../src/gpu/device.js';

export function adapterLine(info: AdapterDescription): string {
  const names = [info.vendor, info.architecture, info.device, info.description].filter(Boolean);
  return `${names.join(' / ')} (backend ${info.backend}, ${info.featureLevel})`;
}

/** A file-name-safe tag for the adapter, e.g. `gles-llvmpipe` or `swiftshader-swiftshader`. */
export function adapterTag(info: AdapterDescription): string {
  const text = `${info.architecture} ${info.device} ${info.description} ${info.vendor}`.toLowerCase();
  const word = /llvmpipe|swiftshader|lavapipe/.exec(text)?.[0] ?? text.trim().replace(/[^a-z0-9]+/g, '-').slice(0, 24);
  return `${info.backend}-${word}`;
}

export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

const RESULTS_DIR = new URL('../results/', import.meta.url);

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

export function writeResults(name: string, markdown: string, json: unknown): { md: string; json: string } {
  const dir = RESULTS_DIR;
  mkdirSync(dir, { recursive: true });
  const md = new URL(`${name}.md`, dir);
  const js = new URL(`${name}.json`, dir);
  writeFileSync(md, markdown + '\n');
  writeFileSync(js, JSON.stringify(json, null, 2) + '\n');
  return { md: md.pathname, json: js.pathname };
}
