// A generic CSV manifest: one row per image with its report. Columns (header names, any order):
// image (or path, image_path), report (or text), optional split and id. Relative image paths are
// resolved against the manifest's folder.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { readCsvTable } from './mimic.js';
import { type ImageReportRecord, type LoadResult, SkipLog, hashedSplit, normaliseSplit } from './records.js';

function column(row: Record<string, string>, names: string[]): string | undefined {
  for (const n of names) if (row[n] !== undefined) return row[n];
  return undefined;
}

export function loadCsvManifest(csvPath: string, options: { warn?: (line: string) => void } = {}): LoadResult {
  if (!existsSync(csvPath)) throw new Error(`${csvPath}: manifest not found`);
  const rows = readCsvTable(csvPath, []);
  const header = Object.keys(rows[0] ?? {});
  if (!header.some((h) => ['image', 'path', 'image_path'].includes(h)) || !header.some((h) => ['report', 'text'].includes(h))) {
    throw new Error(`${csvPath}: needs an image (or path, image_path) column and a report (or text) column`);
  }
  const log = new SkipLog(options.warn);
  const records: ImageReportRecord[] = [];
  rows.forEach((row, k) => {
    const image = column(row, ['image', 'path', 'image_path'])?.trim();
    const report = column(row, ['report', 'text'])?.trim();
    const where = `${csvPath} row ${k + 2}`;
    if (!image || !report) { log.add(where, 'empty image path or report'); return; }
    const imagePath = resolve(dirname(csvPath), image);
    if (!existsSync(imagePath)) { log.add(imagePath, `image missing (${where})`); return; }
    const id = row.id?.trim() || image;
    const split = row.split ? normaliseSplit(row.split) : hashedSplit(id);
    if (!split) { log.add(where, `unknown split '${row.split}'`); return; }
    records.push({ id, imagePath, report, split });
  });
  return { records, skipped: log.skipped };
}
