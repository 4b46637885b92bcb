// Names and tables for benchmark results, shared by Node (bench/, `medtrim bench`) and browser pages.
import type { AdapterDescription } from '../gpu/device.js';

export function adapterLine(info: AdapterDescription): string {
  const names = [info.vendor, info.architecture, info.device, info.description].filter(Boolean);
  return `${names.join(' / ')} (backend ${info.backend}, ${info.featureLevel})`;
}

/** A file-name-safe tag for the adapter, e.g. `gles-llvmpipe` or `swiftshader-swiftshader`. */
export function adapterTag(info: AdapterDescription): string {
  const text = `${info.architecture} ${info.device} ${info.description} ${info.vendor}`.toLowerCase();
  const word =
    /llvmpipe|swiftshader|lavapipe/.exec(text)?.[0] ??
    text
      .trim()
      .replace(/[^a-z0-9]+/g, '-')
      .slice(0, 24);
  return `${info.backend}-${word}`;
}

export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
