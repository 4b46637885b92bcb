// Report sources for `medtrim ober`: a text file, a folder or .tgz of Open-i XML, a CSV, or JSONL.
// Every source yields one item per report; a report that cannot be used carries an error instead of
// text, so one bad report never stops a run.
import { readdirSync, readFileSync, type Stats, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { parseCsv } from './csv.js';
import { parseOpenIXml } from './openi.js';
import { readTar } from '../io/tar.js';

export type ReportItem = { id: string; text: string; mesh?: string[] } | { id: string; error: string };

/** Longer than any real chest X-ray report by two orders of magnitude; beyond it the input is not a report. */
export const maxReportChars = 100_000;

/** Why `text` is not a usable report, or undefined when it is. */
export function reportProblem(text: string): string | undefined {
  if (text.trim() === '') return 'empty report';
  if (text.length > maxReportChars) return `report too long (${text.length} characters, limit ${maxReportChars})`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: counting control characters is what this line does
  const controls = text.match(/[\x00-\x08\x0e-\x1f\ufffd]/g)?.length ?? 0;
  if (controls > 0) return `binary data, not text (${controls} control or invalid bytes)`;
  return undefined;
}

function item(id: string, text: string, mesh?: string[]): ReportItem {
  const problem = reportProblem(text);
  return problem ? { id, error: problem } : mesh ? { id, text, mesh } : { id, text };
}

function fromXml(name: string, xml: string): ReportItem {
  try {
    const r = parseOpenIXml(xml);
    return item(r.id, r.text, r.mesh);
  } catch (err) {
    return { id: basename(name), error: err instanceof Error ? err.message : String(err) };
  }
}

// Open-i files are numbered: 2.xml before 10.xml.
const byNumber = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

function xmlFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...xmlFilesUnder(path));
    else if (e.name.toLowerCase().endsWith('.xml')) out.push(path);
  }
  return out.sort(byNumber);
}

function fromFolder(dir: string): ReportItem[] {
  const files = xmlFilesUnder(dir);
  if (files.length === 0) throw new Error(`${dir}: folder holds no .xml reports`);
  return files.map((f) => fromXml(f, readFileSync(f, 'utf8')));
}

function fromTar(path: string): ReportItem[] {
  const entries = readTar(readFileSync(path), path).filter((e) => e.name.toLowerCase().endsWith('.xml'));
  if (entries.length === 0) throw new Error(`${path}: archive holds no .xml reports`);
  return entries.sort((a, b) => byNumber(a.name, b.name)).map((e) => fromXml(e.name, e.data.toString('utf8')));
}

const reportColumns = ['report', 'reports', 'text', 'findings', 'impression'];

function fromCsv(path: string, column: string | undefined): ReportItem[] {
  const { rows, error } = parseCsv(readFileSync(path, 'utf8'));
  const [header, ...records] = rows;
  if (!header) throw new Error(`${path}: empty CSV file`);
  const names = header.fields.map((f) => f.trim().toLowerCase());
  const wanted = column ? [column.toLowerCase()] : reportColumns;
  const col = names.findIndex((n) => wanted.includes(n));
  if (col < 0) throw new Error(`${path}: no report column (${column ? `'${column}'` : reportColumns.join('/')}) in header: ${header.fields.join(',')}`);
  const idCol = names.indexOf('id');
  const items: ReportItem[] = records.map((r) => {
    const id = idCol >= 0 && r.fields[idCol] ? r.fields[idCol] : `line ${r.line}`;
    if (r.fields.length !== header.fields.length) return { id, error: `CSV record has ${r.fields.length} fields, header has ${header.fields.length}` };
    return item(id, r.fields[col]);
  });
  if (error) items.push({ id: 'csv', error });
  return items;
}

function fromJsonl(path: string): ReportItem[] {
  const lines = readFileSync(path, 'utf8').split(/\r?\n/);
  const items: ReportItem[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const fallbackId = `line ${i + 1}`;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      items.push({ id: fallbackId, error: 'not valid JSON' });
      return;
    }
    const rec = (typeof obj === 'object' && obj !== null ? obj : {}) as { id?: unknown; text?: unknown };
    const id = typeof rec.id === 'string' || typeof rec.id === 'number' ? String(rec.id) : fallbackId;
    items.push(typeof rec.text === 'string' ? item(id, rec.text) : { id, error: 'JSON record without a string "text"' });
  });
  return items;
}

/** All reports at `path`, by its kind (folder, .tgz/.tar, .csv, .jsonl, .xml, else plain text). */
export function readReports(path: string, column?: string): ReportItem[] {
  let stat: Stats;
  try {
    stat = statSync(path);
  } catch {
    throw new Error(`${path}: no such file or folder`);
  }
  if (stat.isDirectory()) return fromFolder(path);
  const ext = extname(path).toLowerCase();
  if (ext === '.tgz' || ext === '.tar' || path.toLowerCase().endsWith('.tar.gz')) return fromTar(path);
  if (ext === '.csv') return fromCsv(path, column);
  if (ext === '.jsonl' || ext === '.ndjson') return fromJsonl(path);
  if (ext === '.xml') return [fromXml(path, readFileSync(path, 'utf8'))];
  return [item(basename(path), readFileSync(path).toString('utf8'))];
}
