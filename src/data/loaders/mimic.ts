// MIMIC-CXR-JPG: files/pXX/pSUBJECT/sSTUDY/DICOM.jpg images, files/pXX/pSUBJECT/sSTUDY.txt reports,
// mimic-cxr-2.0.0-split.csv (dicom_id, study_id, subject_id, split) and optionally
// mimic-cxr-2.0.0-metadata.csv (… ViewPosition …) to keep frontal views only.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCsv } from '../../ober/csv.js';
import {
  type LoadResult,
  type ImageReportRecord,
  type LoaderOptions,
  SkipLog,
  errorMessage,
  normaliseSplit,
} from './records.js';

export interface MimicOptions extends LoaderOptions {
  /** View positions to keep (needs the metadata file); default PA and AP. */
  views?: string[];
  /** Report sections to keep, in order (default FINDINGS and IMPRESSION). */
  sections?: readonly string[];
}

/** Reads a CSV with a header into objects keyed by column name; throws naming the file. */
export function readCsvTable(path: string, required: string[]): Record<string, string>[] {
  const { rows, error } = parseCsv(readFileSync(path, 'utf8'));
  if (error) throw new Error(`${path}: ${error}`);
  if (rows.length === 0) throw new Error(`${path}: empty CSV file`);
  const header = rows[0].fields.map((h) => h.trim());
  for (const col of required)
    if (!header.includes(col)) throw new Error(`${path}: missing column '${col}' (has ${header.join(', ')})`);
  return rows.slice(1).map((r) => Object.fromEntries(header.map((h, i) => [h, r.fields[i] ?? ''])));
}

/** The findings and impression (or the given sections) of a MIMIC report (the whole text when it has none of them). */
export function mimicReportText(raw: string, labels: readonly string[] = ['FINDINGS', 'IMPRESSION']): string {
  const sections = labels.flatMap((label) => {
    const m = new RegExp(`${label}:([\\s\\S]*?)(?=\\n\\s*[A-Z][A-Z /]+:|$)`).exec(raw);
    const body = m?.[1].replace(/\s+/g, ' ').trim();
    return body ? [`${label}: ${body}`] : [];
  });
  return sections.length > 0 ? sections.join('\n') : raw.replace(/\s+/g, ' ').trim();
}

export function loadMimicCxr(root: string, options: MimicOptions = {}): LoadResult {
  const splitPath = join(root, 'mimic-cxr-2.0.0-split.csv');
  if (!existsSync(splitPath)) throw new Error(`${root}: not a MIMIC-CXR-JPG folder (no mimic-cxr-2.0.0-split.csv)`);
  const log = new SkipLog(options.warn, options.strict);
  const splitRows = readCsvTable(splitPath, ['dicom_id', 'study_id', 'subject_id', 'split']);
  const metadataPath = join(root, 'mimic-cxr-2.0.0-metadata.csv');
  const views = new Set(options.views ?? ['PA', 'AP']);
  const viewOf = existsSync(metadataPath)
    ? new Map(readCsvTable(metadataPath, ['dicom_id', 'ViewPosition']).map((r) => [r.dicom_id, r.ViewPosition]))
    : null;

  const reports = new Map<string, string | null>();
  const records: ImageReportRecord[] = [];
  for (const row of splitRows) {
    if (viewOf && !views.has(viewOf.get(row.dicom_id) ?? '')) continue;
    const studyDir = join(root, 'files', `p${row.subject_id.slice(0, 2)}`, `p${row.subject_id}`);
    const imagePath = join(studyDir, `s${row.study_id}`, `${row.dicom_id}.jpg`);
    const reportPath = join(studyDir, `s${row.study_id}.txt`);
    if (!reports.has(reportPath)) reports.set(reportPath, readReport(reportPath, log, options.sections));
    const report = reports.get(reportPath);
    if (!report) continue;
    if (!existsSync(imagePath)) {
      log.add(imagePath, 'image file missing');
      continue;
    }
    records.push({
      id: `${row.study_id}/${row.dicom_id}`,
      imagePath,
      report,
      split: normaliseSplit(row.split),
      patientId: row.subject_id,
      studyId: row.study_id,
    });
  }
  return { records, skipped: log.skipped };
}

function readReport(path: string, log: SkipLog, sections?: readonly string[]): string | null {
  try {
    const text = mimicReportText(readFileSync(path, 'utf8'), sections);
    if (!text) {
      log.add(path, 'empty report');
      return null;
    }
    return text;
  } catch (err) {
    log.add(path, `cannot read report: ${errorMessage(err)}`);
    return null;
  }
}
