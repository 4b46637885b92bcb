import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';

const bin = join(import.meta.dirname, '..', 'bin', 'medtrim.js');
let dir: string;

function ober(...args: string[]): { status: number | null; lines: Array<Record<string, unknown>>; stderr: string } {
  const r = spawnSync(process.execPath, [bin, 'ober', ...args], { encoding: 'utf8' });
  const lines = r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { status: r.status, lines, stderr: r.stderr };
}

function openIXml(id: string, findings: string, impression: string): string {
  return (
    `<?xml version="1.0" encoding="utf-8"?>\n<eCitation>\n<uId id="${id}"/>\n<Abstract>\n` +
    `<AbstractText Label="INDICATION">Pneumonia</AbstractText>\n<AbstractText Label="FINDINGS">${findings}</AbstractText>\n` +
    `<AbstractText Label="IMPRESSION">${impression}</AbstractText>\n</Abstract>\n<MeSH><major>normal</major></MeSH>\n</eCitation>\n`
  );
}

/** A ustar archive of the given files, written by hand so the reader is tested against the format, not itself. */
function tarOf(files: Record<string, string>): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, content] of Object.entries(files)) {
    const data = Buffer.from(content, 'utf8');
    const h = Buffer.alloc(512);
    h.write(name, 0);
    h.write('0000644\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(data.length.toString(8).padStart(11, '0') + '\0', 124);
    h.write('00000000000\0', 136);
    h.write('        ', 148);
    h.write('0', 156);
    h.write('ustar\0' + '00', 257);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'medtrim-ober-'));
  writeFileSync(join(dir, 'report.txt'), 'FINDINGS: Small left pleural effusion. No pneumothorax.\n');
  mkdirSync(join(dir, 'xml', 'ecgen-radiology'), { recursive: true });
  writeFileSync(
    join(dir, 'xml', 'ecgen-radiology', '10.xml'),
    openIXml('CXR10', 'Heart size is normal. Lungs are clear.', 'No acute disease.'),
  );
  writeFileSync(join(dir, 'xml', 'ecgen-radiology', '2.xml'), openIXml('CXR2', 'Mild cardiomegaly.', 'Cardiomegaly.'));
  writeFileSync(
    join(dir, 'xml', 'ecgen-radiology', '3.xml'),
    '<eCitation><uId id="CXR3"/><AbstractText Label="FINDINGS">cut off',
  );
  writeFileSync(
    join(dir, 'reports.tgz'),
    gzipSync(
      tarOf({
        'ecgen-radiology/1.xml': openIXml('CXR1', 'Right upper lobe nodule.', 'Nodule.'),
        'ecgen-radiology/5.xml': openIXml('CXR5', '', ''),
      }),
    ),
  );
  writeFileSync(
    join(dir, 'reports.csv'),
    'id,Report\nA,"Bibasilar atelectasis, no effusion."\nB,"Line one.\nLine two: ""quoted"" edema."\nC,\nD,"unterminated\n',
  );
  writeFileSync(join(dir, 'notes.csv'), 'key,body\nk1,Cardiomegaly.\n');
  writeFileSync(join(dir, 'reports.jsonl'), '{"id":"j1","text":"Possible pneumonia."}\n{not json}\n{"id":"j3"}\n');
  writeFileSync(join(dir, 'empty.txt'), '   \n');
  writeFileSync(join(dir, 'garbage.bin'), Buffer.from([0, 1, 2, 0xff, 0xfe, 0, 7, 8, 0x1f]));
  writeFileSync(join(dir, 'huge.txt'), 'No effusion. '.repeat(80_000));
});

describe('medtrim ober', () => {
  it('explains itself on --help', () => {
    const out = execFileSync(process.execPath, [bin, 'ober', '--help'], { encoding: 'utf8' });
    expect(out).toMatch(/usage: medtrim ober PATH/);
    expect(out).toMatch(/--column NAME/);
  });

  it('labels a plain text report', () => {
    const r = ober(join(dir, 'report.txt'));
    expect(r.status).toBe(0);
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0].id).toBe('report.txt');
    expect(r.lines[0].labels).toEqual({ 'Pleural Effusion': 1, Pneumothorax: 0 });
    expect((r.lines[0].findings as Array<{ directions: string[] }>)[0].directions).toEqual(['left']);
  });

  it('reads a folder of Open-i XML by uId, in numeric order, reporting the malformed file', () => {
    const r = ober(join(dir, 'xml'));
    expect(r.status).toBe(0);
    expect(r.lines.map((l) => l.id)).toEqual(['CXR2', '3.xml', 'CXR10']);
    expect(r.lines[0].labels).toEqual({ Cardiomegaly: 1 });
    expect(r.lines[1].error).toMatch(/eCitation/);
    expect(r.lines[2].labels).toEqual({ Cardiomegaly: 0, 'Lung Opacity': 0, 'No Finding': 1 });
    expect(r.stderr).toMatch(/xml: 3\.xml: /);
  });

  it('reads a .tgz of Open-i XML and reports an empty report', () => {
    const r = ober(join(dir, 'reports.tgz'));
    expect(r.status).toBe(0);
    expect(r.lines[0]).toMatchObject({ id: 'CXR1', labels: { Nodule: 1, 'Lung Lesion': 1 } });
    expect(r.lines[1]).toEqual({ id: 'CXR5', error: 'empty report' });
  });

  it('reads CSV with quoted fields, reporting bad rows and the unterminated quote', () => {
    const r = ober(join(dir, 'reports.csv'));
    expect(r.status).toBe(0);
    expect(r.lines.map((l) => l.id)).toEqual(['A', 'B', 'C', 'csv']);
    expect(r.lines[0].labels).toEqual({ Atelectasis: 1, 'Pleural Effusion': 0 });
    expect(r.lines[1].labels).toEqual({ Edema: 1 });
    expect(r.lines[2].error).toBe('empty report');
    expect(r.lines[3].error).toMatch(/unterminated quoted field starting on line 6/);
  });

  it('takes the CSV column from --column, and fails clearly without one', () => {
    expect(ober(join(dir, 'notes.csv'), '--column', 'body').lines[0].labels).toEqual({ Cardiomegaly: 1 });
    const r = ober(join(dir, 'notes.csv'));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/notes\.csv: no report column/);
  });

  it('reads JSONL, reporting bad lines and going on', () => {
    const r = ober(join(dir, 'reports.jsonl'));
    expect(r.status).toBe(0);
    expect(r.lines).toEqual([
      expect.objectContaining({ id: 'j1', labels: { Pneumonia: -1 } }),
      { id: 'line 2', error: 'not valid JSON' },
      { id: 'j3', error: 'JSON record without a string "text"' },
    ]);
  });

  it('exits non-zero with a per-report error when nothing can be read', () => {
    for (const [file, message] of [
      ['empty.txt', /empty report/],
      ['garbage.bin', /binary data/],
      ['huge.txt', /too long/],
    ] as const) {
      const r = ober(join(dir, file));
      expect(r.status, file).toBe(1);
      expect(r.lines[0].error).toMatch(message);
      expect(r.stderr).toContain(file);
    }
    const missing = ober(join(dir, 'nope.txt'));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/nope\.txt: no such file or folder/);
  });
});
