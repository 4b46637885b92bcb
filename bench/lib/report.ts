// Benchmark output: a markdown table and JSON, written to bench/results/<name>.{md,json}.
import { mkdirSync, writeFileSync } from 'node:fs';
import type { AdapterDescription } from '../../src/gpu/device.js';

export function adapterLine(info: AdapterDescription): string {
  return `${info.vendor} / ${info.architecture} / ${info.description} (backend ${info.backend}, ${info.featureLevel})`;
}

/** A file-name-safe tag for the adapter, e.g. `gles-llvmpipe` or `swiftshader-swiftshader`. */
export function adapterTag(info: AdapterDescription): string {
  const name = (info.architecture || info.description || info.vendor).toLowerCase();
  const word = /llvmpipe|swiftshader|lavapipe/.exec(name)?.[0] ?? name.replace(/[^a-z0-9]+/g, '-').slice(0, 24);
  return `${info.backend}-${word}`;
}

export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function writeResults(name: string, markdown: string, json: unknown): { md: string; json: string } {
  const dir = new URL('../results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const md = new URL(`${name}.md`, dir);
  const js = new URL(`${name}.json`, dir);
  writeFileSync(md, markdown + '\n');
  writeFileSync(js, JSON.stringify(json, null, 2) + '\n');
  return { md: md.pathname, json: js.pathname };
}
