// RFC 4180 CSV: quoted fields may hold commas, newlines and doubled quotes; CRLF or LF line ends.

export interface CsvRow {
  /** 1-based line number where the record starts. */
  line: number;
  fields: string[];
}

/** Parses CSV text into records; an unterminated quote ends parsing with `error` (the records before it are kept). */
export function parseCsv(text: string): { rows: CsvRow[]; error?: string } {
  const rows: CsvRow[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let rowLine = 1;
  let quoteLine = 0;
  let inQuotes = false;
  let i = 0;
  const endRow = () => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0] === '')) rows.push({ line: rowLine, fields });
    fields = [];
    field = '';
    rowLine = line;
  };
  while (i < text.length) {
    const ch = text[i];
    if (inQuotes) {
      if (ch === '"' && text[i + 1] === '"') { field += '"'; i += 2; continue; }
      if (ch === '"') inQuotes = false;
      else { field += ch; if (ch === '\n') line++; }
      i++;
      continue;
    }
    if (ch === '"' && field === '') { inQuotes = true; quoteLine = line; }
    else if (ch === ',') { fields.push(field); field = ''; }
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      line++;
      endRow();
    } else field += ch;
    i++;
  }
  if (inQuotes) return { rows, error: `unterminated quoted field starting on line ${quoteLine}` };
  if (field !== '' || fields.length > 0) endRow();
  return { rows };
}
