// `medtrim ober PATH`: ontology-based entity recognition over radiology reports, JSONL out.
import { parseArgs } from 'node:util';
import { readReports } from '../../ober/inputs.js';
import { recognize } from '../../ober/recognize.js';

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
  a folder, .tgz, .tar  Open-i XML reports (e.g. ecgen-radiology/N.xml); id = the uId (CXR10);
                        text = the FINDINGS and IMPRESSION AbstractText
  a .xml file           one Open-i report
  a .csv file           one report per row, from the column named report/text/findings/impression
                        (or --column NAME); id from an "id" column, else the line number
  a .jsonl file         one {"id": …, "text": …} per line

A report that cannot be used (empty, binary, over 100,000 characters, malformed XML/CSV/JSON) gives
{"id": …, "error": "…"} on stdout and a message on stderr, and the run goes on. The exit code is
non-zero only when no report could be read.

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
    // `medtrim ober … | head` closes the pipe early; that is not an error.
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
      throw err;
    });
    const reports = readReports(path, values.column);
    let read = 0;
    const lines: string[] = [];
    for (const r of reports) {
      if ('error' in r) {
        console.error(`medtrim ober: ${path}: ${r.id}: ${r.error}`);
        lines.push(JSON.stringify({ id: r.id, error: r.error }));
        continue;
      }
      const { labels, findings } = recognize(r.text);
      lines.push(JSON.stringify({ id: r.id, labels, findings }));
      read++;
    }
    if (lines.length > 0) process.stdout.write(lines.join('\n') + '\n');
    if (read === 0) console.error(`medtrim ober: ${path}: no report could be read`);
    return read > 0 ? 0 : 1;
  },
};
