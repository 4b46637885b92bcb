// `medtrim ober PATH`: ontology-based entity recognition over radiology reports, JSONL out.
import { parseArgs } from 'node:util';
import { maxRecordChars, maxReportChars, maxReportFileBytes, readReports } from '../../ober/inputs.js';
import { oneLine } from '../../io/one-line.js';
import { maxTarBytes } from '../../io/tar.js';
import { recognize } from '../../ober/recognize.js';
import { exitQuietlyOnClosedStdout, writeLine } from '../stdout.js';

const count = (n: number) => n.toLocaleString('en-US');
const mib = (bytes: number) => (bytes >= 1024 ** 3 ? `${bytes / 1024 ** 3} GiB` : `${bytes / 1024 ** 2} MiB`);

const help = `usage: medtrim ober PATH [--column NAME]

Recognizes disease findings (with adjectival and directional descriptors, negation and uncertainty)
in chest X-ray reports and prints one JSON line per report to stdout:
  {"id": …, "labels": {"<class>": 1|0|-1, …}, "findings": [{disease, adjectives, directions,
   negated, uncertain, span, text}, …]}
Labels: 1 positive, 0 negative, -1 uncertain; a class not mentioned is absent. "No Finding" is 1
when no pathology is positive or uncertain. A finer class also labels its parent (Nodule → Lung Lesion).

PATH may be:
  a text file           one report (id = file name); FINDINGS/IMPRESSION sections are used when
                        the text has section headers, otherwise all of it
  a folder              Open-i XML reports (e.g. ecgen-radiology/N.xml), in numeric file order;
                        id = the uId (CXR10); text = the FINDINGS and IMPRESSION AbstractText
  a .tgz, .tar          the same, in archive order (ustar, GNU and PAX tar, gzipped or not)
  a .xml file           one Open-i report
  a .csv file           one report per row, from the column named report/text/findings/impression
                        (or --column NAME); id from an "id" column, else the line number
  a .jsonl file         one {"id": …, "text": …} per line

Output is written report by report as the input is read, so memory stays bounded whatever its size.
A report that cannot be used gives {"id": …, "error": "…"} on stdout and a message on stderr, and the
run goes on: empty or binary text; a report over ${count(maxReportChars)} characters; malformed XML, CSV
or JSON; in a folder, a file that is not a regular readable file (a dangling or looping link, a link
to a folder, a FIFO, a device, no read permission). The exit code is non-zero only when no report
could be read or the run stopped early (an archive over its limit, an input that cannot be read).

Limits on hostile input:
  - an XML or text report file (or archive entry) over ${mib(maxReportFileBytes)} is reported, not read;
  - a CSV record or JSONL line over ${count(maxRecordChars)} characters is reported (in a CSV, reading
    stops there: it is what an unterminated quote looks like);
  - a .tgz/.tar is read up to ${mib(maxTarBytes)} of decompressed data; beyond it the run stops with an
    error naming the file (a gzip bomb). Reports already printed stay printed.

options:
  --column NAME   CSV column holding the report text
  -h, --help      this help`;

export default {
  summary: 'extract disease findings, descriptors and labels from radiology reports (JSONL)',
  async run(argv: string[]): Promise<number> {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { column: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    });
    if (values.help) {
      console.log(help);
      return 0;
    }
    if (positionals.length !== 1) throw new Error('expected exactly one PATH (see medtrim ober --help)');
    const path = positionals[0];
    exitQuietlyOnClosedStdout();
    let read = 0;
    for await (const r of readReports(path, values.column)) {
      if ('error' in r) {
        // An id may come from a quoted CSV field that spans lines.
        await writeLine(`medtrim ober: ${path}: ${oneLine(r.id)}: ${r.error}`, process.stderr);
        await writeLine(JSON.stringify({ id: r.id, error: r.error }));
        continue;
      }
      const { labels, findings } = recognize(r.text);
      await writeLine(JSON.stringify({ id: r.id, labels, findings }));
      read++;
    }
    if (read === 0) console.error(`medtrim ober: ${path}: no report could be read`);
    return read > 0 ? 0 : 1;
  },
};
