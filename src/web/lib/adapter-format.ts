// How pages name the adapter. Browser-safe: bench/lib/report.ts has the same line for Node benchmarks but
// imports node:fs, which a page cannot load.
import type { AdapterDescription } from '../../gpu/device.js';

export function adapterLine(info: AdapterDescription): string {
  const names = [info.vendor, info.architecture, info.device, info.description].filter(Boolean);
  return `${names.join(' / ')} (backend ${info.backend}, ${info.featureLevel})`;
}
