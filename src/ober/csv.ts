// RFC 4180 CSV: quoted fields may hold commas, newlines and doubled quotes; CRLF, LF or CR line ends.

export interface CsvRow {
  /** 1-based line number where the record starts. */
  line: number;
  fields: string[];
}

/**
 * Incremental CSV parser: push() text in chunks split anywhere, get back the records completed so far.
 * After an error (an unterminated quote at the end, or a record over `maxRecordChars`, which is what an
 * unterminated quote in a large file looks like) it returns no more records; those before it are kept.
 */
export class CsvParser {
  error: string | undefined;
  private fields: string[] = [];
  private field = '';
  private line = 1;
  private rowLine = 1;
  private quoteLine = 0;
  private inQuotes = false;
  /** A quote inside a quoted field: a doubled quote or the closing one, decided by the next character. */
  private quoteSeen = false;
  /** A CR ended the last record; an LF right after it belongs to the same line end. */
  private afterCr = false;
  private recordChars = 0;

  constructor(private readonly maxRecordChars = Infinity) {}

  push(text: string): CsvRow[] {
    const rows: CsvRow[] = [];
    for (let i = 0; i < text.length && this.error === undefined; i++) {
      const ch = text[i];
      if (this.afterCr) {
        this.afterCr = false;
        if (ch === '\n') continue;
      }
      if (this.quoteSeen) {
        this.quoteSeen = false;
        if (ch === '"') {
          this.field += '"';
          continue;
        }
        this.inQuotes = false;
      }
      if (++this.recordChars > this.maxRecordChars) {
        this.error = `CSV record starting on line ${this.rowLine} is over ${this.maxRecordChars} characters${this.inQuotes ? ` (unterminated quoted field starting on line ${this.quoteLine}?)` : ''}`;
        break;
      }
      if (this.inQuotes) {
        if (ch === '"') this.quoteSeen = true;
        else {
          this.field += ch;
          if (ch === '\n') this.line++;
        }
      } else if (ch === '"' && this.field === '') {
        this.inQuotes = true;
        this.quoteLine = this.line;
      } else if (ch === ',') {
        this.fields.push(this.field);
        this.field = '';
      } else if (ch === '\n' || ch === '\r') {
        this.afterCr = ch === '\r';
        this.line++;
        this.endRow(rows);
      } else this.field += ch;
    }
    return rows;
  }

  /** The last record, if the text did not end with a line end; sets `error` on an unterminated quote. */
  end(): CsvRow[] {
    const rows: CsvRow[] = [];
    if (this.error !== undefined) return rows;
    if (this.quoteSeen) this.inQuotes = false;
    if (this.inQuotes) this.error = `unterminated quoted field starting on line ${this.quoteLine}`;
    else if (this.field !== '' || this.fields.length > 0) this.endRow(rows);
    return rows;
  }

  private endRow(rows: CsvRow[]): void {
    this.fields.push(this.field);
    if (!(this.fields.length === 1 && this.fields[0] === '')) rows.push({ line: this.rowLine, fields: this.fields });
    this.fields = [];
    this.field = '';
    this.rowLine = this.line;
    this.recordChars = 0;
  }
}

/** Parses CSV text into records; an unterminated quote ends parsing with `error` (the records before it are kept). */
export function parseCsv(text: string): { rows: CsvRow[]; error?: string } {
  const parser = new CsvParser();
  const rows = parser.push(text);
  rows.push(...parser.end());
  return parser.error === undefined ? { rows } : { rows, error: parser.error };
}
