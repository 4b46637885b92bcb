// `--data PATH`: which real-data loader a path calls for — a CSV or JSONL manifest, a MIMIC-CXR-JPG root
// (its split CSV, files/ tree and report texts) or an Open-i folder (XML reports and PNG images, side by
// side or in ecgen-radiology/ and NLMCXR_png/ style subfolders).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadManifest } from './loaders/manifest.js';
import { loadMimicCxr } from './loaders/mimic.js';
import { loadOpenI } from './loaders/openi.js';
import type { LoaderOptions, LoadResult } from './loaders/records.js';

export interface DataOptions extends LoaderOptions {
  sections?: readonly string[];
}

function holds(dir: string, extension: string): boolean {
  try {
    return readdirSync(dir).some((f) => f.toLowerCase().endsWith(extension));
  } catch {
    return false;
  }
}

/** The data set's kind and its records; one line naming the path when it is none of the known layouts. */
export function loadRecords(path: string, options: DataOptions = {}): LoadResult & { kind: string } {
  if (!existsSync(path)) throw new Error(`${path}: no such file or folder`);
  if (statSync(path).isFile()) {
    if (!/\.(csv|jsonl|ndjson)$/i.test(path)) throw new Error(`${path}: a manifest must be a .csv or .jsonl file`);
    return { kind: 'manifest', ...loadManifest(path, options) };
  }
  if (existsSync(join(path, 'mimic-cxr-2.0.0-split.csv')))
    return { kind: 'MIMIC-CXR-JPG', ...loadMimicCxr(path, options) };
  const reports = [join(path, 'ecgen-radiology'), join(path, 'reports'), join(path, 'xml'), path].find((d) =>
    holds(d, '.xml'),
  );
  const images = [join(path, 'NLMCXR_png'), join(path, 'images'), join(path, 'png'), path].find((d) =>
    holds(d, '.png'),
  );
  if (reports && images) return { kind: 'Open-i', ...loadOpenI(reports, images, options) };
  throw new Error(
    `${path}: not a manifest (.csv, .jsonl), a MIMIC-CXR-JPG folder (mimic-cxr-2.0.0-split.csv) or an Open-i folder (XML reports and PNG images)`,
  );
}
