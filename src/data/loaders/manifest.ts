// A generic manifest: one row per image with its report, as CSV (a header row naming the columns, any
// order) or JSONL (one object per line). Fields: image (or path, image_path), report (or text), optional
// split, id, patient (or patient_id, subject_id) and study (or study_id). Relative image paths are resolved
// against the manifest's folder. Rows without a split get one later, by patient (src/data/splits.ts). With
// `sections`, a report written with section headers (FINDINGS:, IMPRESSION:) is cut to those sections.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { mimicReportText, readCsvTable } from './mimic.js';
import { type ImageReportRecord, type LoadResult, type LoaderOptions, SkipLog, normaliseSplit } from './records.js';

export interface ManifestOptions extends LoaderOptions {
  /** Report sections to keep, in order, from reports that have section headers; others are kept whole. */
  sections?: readonly string[];
}

const IMAGE_FIELDS = ['image', 'path', 'image_path'];
const REPORT_FIELDS = ['report', 'text'];
const PATIENT_FIELDS = ['patient', 'patient_id', 'subject_id'];
const STUDY_FIELDS = ['study', 'study_id'];

function field(row: Record<string, unknown>, names: string[]): string | undefined {
  for (const n of names) {
    const v = row[n];
    if (typeof v === 'string' || typeof v === 'number') return String(v).trim() || undefined;
  }
  return undefined;
}

/** The rows of a JSONL manifest; a line that is not a JSON object stops with its line number. */
function readJsonlRows(path: string): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (!line.trim()) return;
      let row: unknown;
      try {
        row = JSON.parse(line);
      } catch (err) {
        throw new Error(`${path}: line ${i + 1} is not valid JSON (${(err as Error).message})`);
      }
      if (!row || typeof row !== 'object' || Array.isArray(row))
        throw new Error(`${path}: line ${i + 1} is not a JSON object`);
      rows.push(row as Record<string, unknown>);
    });
  return rows;
}

/** Reads a CSV or JSONL (by extension: .jsonl / .ndjson) manifest. */
export function loadManifest(path: string, options: ManifestOptions = {}): LoadResult {
  if (!existsSync(path)) throw new Error(`${path}: manifest not found`);
  const jsonl = /\.(jsonl|ndjson)$/i.test(path);
  const rows: Record<string, unknown>[] = jsonl ? readJsonlRows(path) : readCsvTable(path, []);
  const keys = new Set(rows.flatMap((r, i) => (i < 100 ? Object.keys(r) : [])));
  if (!IMAGE_FIELDS.some((h) => keys.has(h)) || !REPORT_FIELDS.some((h) => keys.has(h))) {
    throw new Error(`${path}: needs an image (or path, image_path) column and a report (or text) column`);
  }
  const log = new SkipLog(options.warn, options.strict);
  const records: ImageReportRecord[] = [];
  rows.forEach((row, k) => {
    const image = field(row, IMAGE_FIELDS);
    const text = field(row, REPORT_FIELDS);
    const report = text && options.sections ? mimicReportText(text, options.sections) : text;
    const where = jsonl ? `${path} line ${k + 1}` : `${path} row ${k + 2}`;
    if (!image || !report) return log.add(where, 'empty image path or report');
    const imagePath = resolve(dirname(path), image);
    if (!existsSync(imagePath)) return log.add(imagePath, `image missing (${where})`);
    const splitText = field(row, ['split']);
    const split = normaliseSplit(splitText);
    if (splitText && !split) return log.add(where, `unknown split '${splitText}'`);
    records.push({
      id: field(row, ['id']) ?? image,
      imagePath,
      report,
      split,
      patientId: field(row, PATIENT_FIELDS),
      studyId: field(row, STUDY_FIELDS),
    });
  });
  return { records, skipped: log.skipped };
}

/** A CSV manifest (see loadManifest). */
export function loadCsvManifest(csvPath: string, options: LoaderOptions = {}): LoadResult {
  return loadManifest(csvPath, options);
}
