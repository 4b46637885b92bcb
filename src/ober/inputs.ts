// Report sources for `medtrim ober`: a text file, a folder or .tgz of Open-i XML, a CSV, or JSONL.
// Every source yields one item per report as it is read, so memory holds one report (or one archive
// entry, CSV record or JSONL line) at a time whatever the input's size; a report that cannot be used
// carries an error instead of text, so one bad report never stops a run.
import { createReadStream, type Dirent, readdirSync, readFileSync, type Stats, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { CsvParser } from './csv.js';
import { parseOpenIXml } from './openi.js';
import { oneLine } from '../io/one-line.js';
import { streamTar } from '../io/tar.js';

export type ReportItem = { id: string; text: string; mesh?: string[] } | { id: string; error: string };

/** Longer than any real chest X-ray report by two orders of magnitude; beyond it the input is not a report. */
export const maxReportChars = 100_000;
/** An Open-i XML file (or plain-text report file) over this many bytes is reported, not read. */
export const maxReportFileBytes = 10 * 1024 * 1024;
/** A CSV record or JSONL line over this many characters is reported (JSON escapes may take 6 per character). */
export const maxRecordChars = 10 * maxReportChars;

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

function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
}

function fromXml(name: string, xml: string): ReportItem {
  try {
    const r = parseOpenIXml(xml);
    return item(r.id, r.text, r.mesh);
  } catch (err) {
    return { id: basename(name), error: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * Why a file found in a folder cannot be read as a report, or undefined when it can. Checked on the
 * file's type before it is opened: opening a FIFO would wait for a writer forever.
 */
function fileProblem(path: string): string | undefined {
  let stat: Stats;
  try {
    stat = statSync(path);
  } catch (err) {
    const code = errorCode(err);
    return code === 'ENOENT'
      ? 'dangling symbolic link'
      : code === 'ELOOP'
        ? 'symbolic link loop'
        : `cannot read (${code})`;
  }
  if (stat.isDirectory()) return 'a folder (or link to one), not a report file';
  if (!stat.isFile())
    return `not a regular file (${stat.isFIFO() ? 'a FIFO' : stat.isSocket() ? 'a socket' : 'a device'})`;
  if (stat.size > maxReportFileBytes)
    return `file of ${stat.size} bytes, over the ${maxReportFileBytes}-byte limit for a report`;
  return undefined;
}

function xmlFile(path: string): ReportItem {
  const problem = fileProblem(path);
  if (problem) return { id: basename(path), error: problem };
  let xml: string;
  try {
    xml = readFileSync(path, 'utf8');
  } catch (err) {
    return { id: basename(path), error: `cannot read (${errorCode(err)})` };
  }
  return fromXml(path, xml);
}

// Open-i files are numbered: 2.xml before 10.xml.
const byNumber = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

/** The .xml paths under `dir` (symbolic links to folders are listed if named *.xml, never followed), and unreadable subfolders. */
function xmlFilesUnder(dir: string, out: Array<{ path: string; error?: string }>): void {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    out.push({ path: dir, error: `cannot read folder (${errorCode(err)})` });
    return;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) xmlFilesUnder(path, out);
    else if (e.name.toLowerCase().endsWith('.xml')) out.push({ path });
  }
}

function* fromFolder(dir: string): Generator<ReportItem> {
  const files: Array<{ path: string; error?: string }> = [];
  xmlFilesUnder(dir, files);
  if (files.length === 0) throw new Error(`${dir}: folder holds no .xml reports`);
  files.sort((a, b) => byNumber(a.path, b.path));
  for (const f of files) yield f.error ? { id: basename(f.path), error: f.error } : xmlFile(f.path);
}

async function* fromTar(path: string): AsyncGenerator<ReportItem> {
  let xmlEntries = 0;
  for await (const e of streamTar(path, maxReportFileBytes)) {
    if (!e.name.toLowerCase().endsWith('.xml')) continue;
    xmlEntries++;
    yield 'error' in e ? { id: basename(e.name), error: e.error } : fromXml(e.name, e.data.toString('utf8'));
  }
  if (xmlEntries === 0) throw new Error(`${path}: archive holds no .xml reports`);
}

/** The file's text in chunks (a multi-byte character split across reads is decoded whole). */
async function* textChunks(path: string): AsyncGenerator<string> {
  try {
    for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 64 * 1024 }))
      yield chunk as string;
  } catch (err) {
    throw new Error(`${path}: cannot read (${errorCode(err)})`);
  }
}

function readWhole(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`${path}: cannot read (${errorCode(err)})`);
  }
}

const reportColumns = ['report', 'reports', 'text', 'findings', 'impression'];

async function* fromCsv(path: string, column: string | undefined): AsyncGenerator<ReportItem> {
  const parser = new CsvParser(maxRecordChars);
  let header: string[] | undefined;
  let col = -1;
  let idCol = -1;
  const toItem = (fields: string[], line: number): ReportItem => {
    const id = idCol >= 0 && fields[idCol] ? fields[idCol] : `line ${line}`;
    if (fields.length !== header!.length)
      return { id, error: `CSV record has ${fields.length} fields, header has ${header!.length}` };
    return item(id, fields[col]);
  };
  const rowsOf = function* (rows: Array<{ line: number; fields: string[] }>): Generator<ReportItem> {
    for (const r of rows) {
      if (header) {
        yield toItem(r.fields, r.line);
        continue;
      }
      header = r.fields;
      const names = header.map((f) => f.trim().toLowerCase());
      const wanted = column ? [column.toLowerCase()] : reportColumns;
      col = names.findIndex((n) => wanted.includes(n));
      if (col < 0)
        throw new Error(
          `${path}: no report column (${column ? `'${column}'` : reportColumns.join('/')}) in header: ${oneLine(header.join(',').slice(0, 200))}`,
        );
      idCol = names.indexOf('id');
    }
  };
  for await (const chunk of textChunks(path)) {
    yield* rowsOf(parser.push(chunk));
    if (parser.error !== undefined) break;
  }
  yield* rowsOf(parser.end());
  if (!header && parser.error === undefined) throw new Error(`${path}: empty CSV file`);
  if (parser.error !== undefined) yield { id: 'csv', error: parser.error };
}

async function* fromJsonl(path: string): AsyncGenerator<ReportItem> {
  let lineNumber = 0;
  let line = '';
  let overLong = false;
  const parseLine = (text: string): ReportItem | undefined => {
    lineNumber++;
    const fallbackId = `line ${lineNumber}`;
    if (overLong) return { id: fallbackId, error: `line over ${maxRecordChars} characters` };
    if (text.trim() === '') return undefined;
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch {
      return { id: fallbackId, error: 'not valid JSON' };
    }
    const rec = (typeof obj === 'object' && obj !== null ? obj : {}) as { id?: unknown; text?: unknown };
    const id = typeof rec.id === 'string' || typeof rec.id === 'number' ? String(rec.id) : fallbackId;
    return typeof rec.text === 'string' ? item(id, rec.text) : { id, error: 'JSON record without a string "text"' };
  };
  // Lines are cut by hand rather than with readline, which would hold a line of any length.
  const append = (part: string) => {
    if (overLong) return;
    if (line.length + part.length > maxRecordChars) {
      overLong = true;
      line = '';
    } else line += part;
  };
  for await (const chunk of textChunks(path)) {
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', start)) {
      append(chunk.slice(start, nl));
      const r = parseLine(line.endsWith('\r') ? line.slice(0, -1) : line);
      if (r) yield r;
      line = '';
      overLong = false;
      start = nl + 1;
    }
    append(chunk.slice(start));
  }
  if (line !== '' || overLong) {
    const r = parseLine(line);
    if (r) yield r;
  }
}

/** A plain-text report file; one over the file limit is reported without being read. */
function fromTextFile(path: string, stat: Stats): ReportItem {
  if (stat.isFile() && stat.size > maxReportFileBytes)
    return { id: basename(path), error: `report too long (${stat.size} bytes, limit ${maxReportChars} characters)` };
  return item(basename(path), readWhole(path).toString('utf8'));
}

/** All reports at `path`, by its kind (folder, .tgz/.tar, .csv, .jsonl, .xml, else plain text), as they are read. */
export async function* readReports(path: string, column?: string): AsyncGenerator<ReportItem> {
  let stat: Stats;
  try {
    stat = statSync(path);
  } catch {
    throw new Error(`${path}: no such file or folder`);
  }
  if (stat.isDirectory()) return yield* fromFolder(path);
  const ext = extname(path).toLowerCase();
  if (ext === '.tgz' || ext === '.tar' || path.toLowerCase().endsWith('.tar.gz')) return yield* fromTar(path);
  if (ext === '.csv') return yield* fromCsv(path, column);
  if (ext === '.jsonl' || ext === '.ndjson') return yield* fromJsonl(path);
  if (ext === '.xml') {
    if (stat.isFile() && stat.size > maxReportFileBytes)
      return yield {
        id: basename(path),
        error: `file of ${stat.size} bytes, over the ${maxReportFileBytes}-byte limit for a report`,
      };
    return yield fromXml(path, readWhole(path).toString('utf8'));
  }
  yield fromTextFile(path, stat);
}
