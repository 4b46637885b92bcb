// `medtrim ober` and its parsers on hostile input: unclosed tags, gzip bombs, huge inputs, odd files in
// folder runs, PAX/GNU long names, and a closed stdout. Each case once hung, crashed or ran out of memory.
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTar, streamTar } from '../src/io/tar.js';
import { parseOpenIXml } from '../src/ober/openi.js';
import { recognize } from '../src/ober/recognize.js';
import { openIXml, tarOf } from './helpers/tar.js';

const bin = join(import.meta.dirname, '..', 'bin', 'medtrim.js');
let dir: string;

function ober(args: string[], nodeOptions: string[] = []) {
  const r = spawnSync(process.execPath, [...nodeOptions, bin, 'ober', ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  const lines = r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { status: r.status, signal: r.signal, lines, stderr: r.stderr };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'medtrim-ober-hostile-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Open-i XML with unclosed tags', () => {
  it('parses 100,000 unclosed AbstractText and major tags in linear time', () => {
    const unclosed =
      '<eCitation><uId id="R"/>' +
      '<AbstractText Label="FINDINGS">x '.repeat(100_000) +
      '<major>y '.repeat(100_000) +
      '</eCitation>';
    const start = performance.now();
    const r = parseOpenIXml(unclosed);
    // The quadratic regex took over 40 s on the first half alone.
    expect(performance.now() - start).toBeLessThan(2000);
    expect(r).toEqual({ id: 'R', text: '', mesh: [] });
  });

  it('still reads the first complete section after unclosed or malformed ones', () => {
    const xml =
      '<eCitation><uId id="R"/><AbstractText Label="FINDINGS"x>no</AbstractText><AbstractText Label="FINDINGS" >Mild edema.</AbstractText>' +
      '<AbstractText Label="IMPRESSION"/><major>Edema/mild</major><major>cut</eCitation>';
    expect(parseOpenIXml(xml)).toEqual({ id: 'R', text: 'FINDINGS: Mild edema.', mesh: ['Edema/mild'] });
  });
});

describe('recognizer on run-on text', () => {
  it.each([
    ['one clause of 40,000 findings', 'effusion '],
    ['20,000 one-line sections', 'FINDINGS: effusion\n'],
    ['a sentence of cues, joiners and findings', 'no , and effusion '],
  ])('reads %s in linear time', (_, unit) => {
    const text = unit.repeat(Math.ceil(360_000 / unit.length));
    const start = performance.now();
    const r = recognize(text);
    // Quadratic binding within a clause, and a scan of every token per section, took 24–34 s here.
    expect(performance.now() - start).toBeLessThan(3000);
    expect(r.findings.length).toBeGreaterThan(0);
  });
});

describe('tar and gzip limits', () => {
  it('stops decompressing at the cap with an error naming the file (sync and streaming readers)', async () => {
    const path = join(dir, 'bomb.tgz');
    writeFileSync(path, gzipSync(tarOf({ 'a.xml': Buffer.alloc(4 * 1024 * 1024) }), { level: 1 }));
    expect(() => readTar(gzipSync(tarOf({ 'a.xml': Buffer.alloc(4 * 1024 * 1024) })), path, 1024 * 1024)).toThrow(
      /bomb\.tgz: decompresses to more than 1048576 bytes/,
    );
    const drain = async () => {
      for await (const _ of streamTar(path, Infinity, 1024 * 1024)) void _;
    };
    await expect(drain()).rejects.toThrow(/bomb\.tgz: decompresses to more than 1048576 bytes/);
  });

  it('reports an archive entry over the per-report limit without holding it, and reads the rest', () => {
    const path = join(dir, 'big-entry.tgz');
    writeFileSync(
      path,
      gzipSync(
        tarOf({
          'big.xml': Buffer.alloc(11 * 1024 * 1024, 0x20),
          'ecgen-radiology/2.xml': openIXml('CXR2', 'Mild cardiomegaly.', 'Cardiomegaly.'),
        }),
        { level: 1 },
      ),
    );
    const r = ober([path]);
    expect(r.status).toBe(0);
    expect(r.lines[0]).toEqual({ id: 'big.xml', error: 'entry of 11534336 bytes is over the 10485760-byte limit' });
    expect(r.lines[1]).toMatchObject({ id: 'CXR2', labels: { Cardiomegaly: 1 } });
  });

  it('ends a gzip of zeros (no tar inside) at the first block with a one-line error', () => {
    const path = join(dir, 'zeros.tgz');
    writeFileSync(path, gzipSync(Buffer.alloc(32 * 1024 * 1024), { level: 1 }));
    const r = ober([path]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(`medtrim ober: ${path}: archive holds no .xml reports`);
  });

  it('names the file on a corrupt gzip stream or tar header', () => {
    const good = gzipSync(tarOf({ 'ecgen-radiology/1.xml': openIXml('CXR1', 'Normal.', 'Normal.') }));
    const truncated = join(dir, 'truncated.tgz');
    writeFileSync(truncated, good.subarray(0, good.length - 30));
    expect(ober([truncated]).stderr).toMatch(/truncated\.tgz: (not a valid gzip file|truncated tar archive)/);
    const tar = tarOf({ 'ecgen-radiology/1.xml': 'x' });
    tar[0] ^= 0x55;
    const corrupt = join(dir, 'corrupt.tar');
    writeFileSync(corrupt, tar);
    expect(ober([corrupt]).stderr.trim()).toBe(`medtrim ober: ${corrupt}: corrupt tar header (checksum mismatch)`);
  });

  it('states the limits in --help', () => {
    const out = spawnSync(process.execPath, [bin, 'ober', '--help'], { encoding: 'utf8' }).stdout;
    expect(out).toMatch(/\.tgz\/\.tar is read up to 1 GiB of decompressed data/);
    expect(out).toMatch(/over 10 MiB is reported, not read/);
    expect(out).toMatch(/over 1,000,000 characters is reported/);
  });
});

describe('PAX and GNU long names', () => {
  const longName = `ecgen-radiology/${'deeply-nested-folder/'.repeat(7)}1.xml`;
  it.each(['pax', 'gnu-longname'] as const)('reads a %s entry with a path over 100 characters', (style) => {
    expect(longName.length).toBeGreaterThan(150);
    const tar = tarOf(
      {
        [longName]: openIXml('CXR1', 'Right upper lobe nodule.', 'Nodule.'),
        'ecgen-radiology/2.xml': openIXml('CXR2', 'Normal.', 'Normal.'),
      },
      style,
    );
    expect(readTar(tar, 'x.tar').map((e) => e.name)).toEqual([longName, 'ecgen-radiology/2.xml']);
    const path = join(dir, `${style}.tgz`);
    writeFileSync(path, gzipSync(tar));
    const r = ober([path]);
    expect(r.status).toBe(0);
    expect(r.lines.map((l) => l.id)).toEqual(['CXR1', 'CXR2']);
  });
});

describe('streaming output', () => {
  it('prints each report as it is read (a FIFO input answers before it is closed)', async () => {
    const fifo = join(dir, 'live.jsonl');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const child = spawn(process.execPath, [bin, 'ober', fifo], { stdio: ['ignore', 'pipe', 'pipe'] });
    const fd = openSync(fifo, 'w');
    writeSync(fd, '{"id":"first","text":"Small left pleural effusion."}\n');
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no output before the input was closed')), 60_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    expect(JSON.parse(out.split('\n')[0])).toMatchObject({ id: 'first', labels: { 'Pleural Effusion': 1 } });
    writeSync(fd, '{"id":"second","text":"No pneumothorax."}\n');
    closeSync(fd);
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(status).toBe(0);
    expect(
      out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).id),
    ).toEqual(['first', 'second']);
  });

  it('reads a .tgz from a FIFO (the gzip check does not read it twice)', async () => {
    const fifo = join(dir, 'piped.tgz');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const child = spawn(process.execPath, [bin, 'ober', fifo], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    writeFileSync(
      fifo,
      gzipSync(tarOf({ 'ecgen-radiology/1.xml': openIXml('CXR1', 'Small left pleural effusion.', 'Effusion.') })),
    );
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(status).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ id: 'CXR1', labels: { 'Pleural Effusion': 1 } });
  });

  it('runs a 400,000-row CSV in a 40 MB JavaScript heap (all output held at once did not fit)', () => {
    const path = join(dir, 'rows.csv');
    const rows = ['id,report'];
    for (let i = 0; i < 400_000; i++) rows.push(`r${i},"  "`);
    writeFileSync(path, rows.join('\n') + '\n');
    const r = ober([path], ['--max-old-space-size=40']);
    expect(r.signal).toBeNull();
    expect(r.status).toBe(1);
    expect(r.lines).toHaveLength(400_000);
    expect(r.lines[399_999]).toEqual({ id: 'r399999', error: 'empty report' });
    expect(r.stderr.trim().split('\n').at(-1)).toBe(`medtrim ober: ${path}: no report could be read`);
  });
});

describe('folder runs with files that are not reports', () => {
  it('gives one error line per odd *.xml file and goes on (no hang on a FIFO)', () => {
    const folder = join(dir, 'odd');
    mkdirSync(join(folder, 'sub'), { recursive: true });
    writeFileSync(join(folder, '1.xml'), openIXml('CXR1', 'Mild cardiomegaly.', 'Cardiomegaly.'));
    symlinkSync('/nonexistent/file.xml', join(folder, '2.xml'));
    symlinkSync(join(folder, 'sub'), join(folder, '3.xml'));
    expect(spawnSync('mkfifo', [join(folder, '4.xml')]).status).toBe(0);
    writeFileSync(join(folder, '5.xml'), openIXml('CXR5', 'Normal.', 'Normal.'));
    chmodSync(join(folder, '5.xml'), 0);
    symlinkSync(join(folder, '6.xml'), join(folder, '6.xml'));
    writeFileSync(join(folder, '7.xml'), openIXml('CXR7', 'Left pneumothorax.', 'Pneumothorax.'));
    const r = ober([folder]);
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    // Root reads a file whatever its mode; anyone else gets the permission error.
    const unreadable =
      process.getuid?.() === 0
        ? expect.objectContaining({ id: 'CXR5' })
        : { id: '5.xml', error: 'cannot read (EACCES)' };
    expect(r.lines).toEqual([
      expect.objectContaining({ id: 'CXR1' }),
      { id: '2.xml', error: 'dangling symbolic link' },
      { id: '3.xml', error: 'a folder (or link to one), not a report file' },
      { id: '4.xml', error: 'not a regular file (a FIFO)' },
      unreadable,
      { id: '6.xml', error: 'symbolic link loop' },
      expect.objectContaining({ id: 'CXR7' }),
    ]);
    expect(r.stderr).toMatch(/odd: 4\.xml: not a regular file \(a FIFO\)/);
  });
});

describe('closed stdout', () => {
  it.each([
    ['tokenize', [] as string[]],
    ['ober', ['LINES']],
  ])('%s exits 0 without a stack trace when the reader goes away', async (command, args) => {
    const lines = join(dir, 'lines.jsonl');
    writeFileSync(lines, '{"id":"x","text":"Small left pleural effusion."}\n'.repeat(100_000));
    const child = spawn(process.execPath, [bin, command, ...args.map((a) => (a === 'LINES' ? lines : a))], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    // The child may exit before it has read all its input.
    child.stdin.on('error', () => {});
    if (command === 'tokenize') child.stdin.end('small left pleural effusion\n'.repeat(100_000));
    else child.stdin.end();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).not.toMatch(/EPIPE|at .*\(/);
    expect(status).toBe(0);
  });
});
