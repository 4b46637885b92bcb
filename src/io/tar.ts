// A small reader for (gzipped) tar archives: ustar, GNU long names ('L') and POSIX PAX extended
// headers ('x', Python's default format), enough for the Open-i report tarball. Decompression is
// capped: a gzip bomb stops at the cap with an error naming the file instead of filling memory.
import { createReadStream } from 'node:fs';
import { createGunzip, gunzipSync } from 'node:zlib';

export interface TarEntry {
  name: string;
  data: Buffer;
}

/** An entry that was not kept (over the entry size cap), with the reason. */
export interface SkippedTarEntry {
  name: string;
  error: string;
}

/** Decompressed bytes read from one archive at most; beyond it the archive is not a report collection. */
export const maxTarBytes = 1024 ** 3;

const BLOCK = 512;
/** A long name or PAX header beyond this is not a name but a corrupt (or hostile) archive. */
const maxExtendedHeaderBytes = 1024 * 1024;

function field(block: Buffer, start: number, length: number): string {
  const raw = block.subarray(start, start + length);
  const nul = raw.indexOf(0);
  return raw.subarray(0, nul < 0 ? length : nul).toString('utf8');
}

/** An octal numeric field, or GNU's base-256 form (high bit of the first byte set). */
function numeric(block: Buffer, start: number, length: number, what: string, file: string): number {
  if (block[start] & 0x80) {
    let value = block[start] & 0x7f;
    for (let i = start + 1; i < start + length; i++) value = value * 256 + block[i];
    if (!Number.isSafeInteger(value)) throw new Error(`${file}: corrupt tar header (${what} field too large)`);
    return value;
  }
  const text = field(block, start, length).trim();
  if (!/^[0-7]*$/.test(text))
    throw new Error(`${file}: corrupt tar header (${what} field ${JSON.stringify(text.slice(0, 20))})`);
  return text === '' ? 0 : parseInt(text, 8);
}

/** Whether the header's checksum field matches its bytes (the field itself counted as spaces; old tars sum signed bytes). */
function checksumMatches(header: Buffer, file: string): boolean {
  const stored = numeric(header, 148, 8, 'checksum', file);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : header[i];
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

/** POSIX PAX records "LEN key=value\n"; returns the keys it understands. */
function paxRecords(data: Buffer, file: string): { path?: string; size?: number } {
  const out: { path?: string; size?: number } = {};
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    const length = space < 0 ? NaN : Number(data.subarray(at, space).toString('latin1'));
    if (!Number.isInteger(length) || length <= space - at || at + length > data.length) {
      if (data.subarray(at).every((b) => b === 0)) break;
      throw new Error(`${file}: corrupt PAX extended header`);
    }
    const record = data.subarray(space + 1, at + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    const key = record.slice(0, eq);
    const value = record.slice(eq + 1);
    if (key === 'path') out.path = value;
    else if (key === 'size') {
      if (!/^\d+$/.test(value))
        throw new Error(`${file}: corrupt PAX extended header (size ${JSON.stringify(value.slice(0, 20))})`);
      out.size = Number(value);
    }
    at += length;
  }
  return out;
}

/**
 * Incremental tar parser: push() the archive's bytes in chunks of any size, get back the regular
 * files completed so far. Entries over `maxEntryBytes` are skipped without being held in memory.
 */
export class TarParser {
  /** Set once the end-of-archive block is read; later bytes are ignored. */
  done = false;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private header: { name: string; type: string; size: number; padded: number } | null = null;
  private longName: string | undefined;
  private paxPath: string | undefined;
  private paxSize: number | undefined;

  constructor(
    private readonly file: string,
    private readonly maxEntryBytes = Infinity,
  ) {}

  push(chunk: Buffer): Array<TarEntry | SkippedTarEntry> {
    const out: Array<TarEntry | SkippedTarEntry> = [];
    if (this.done) return out;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    for (;;) {
      if (!this.header) {
        if (this.pendingBytes < BLOCK) break;
        const block = this.take(BLOCK);
        if (block.every((b) => b === 0)) {
          this.done = true;
          break;
        }
        this.header = this.parseHeader(block);
        continue;
      }
      const { name, type, size, padded } = this.header;
      const regular = type === '0' || type === '\0' || type === '7';
      const keep = type === 'L' || type === 'x' || (regular && size <= this.maxEntryBytes);
      if (!keep) {
        // Skipped data is dropped as it arrives, so a huge entry never sits in memory.
        const drop = Math.min(this.pendingBytes, padded);
        this.take(drop);
        this.header.padded -= drop;
        if (this.header.padded > 0) break;
        if (regular) out.push({ name, error: `entry of ${size} bytes is over the ${this.maxEntryBytes}-byte limit` });
        this.header = null;
        continue;
      }
      if (this.pendingBytes < padded) break;
      const data = this.take(padded).subarray(0, size);
      this.header = null;
      if (type === 'L') this.longName = field(data, 0, size);
      else if (type === 'x') {
        const pax = paxRecords(data, this.file);
        this.paxPath = pax.path;
        this.paxSize = pax.size;
      } else out.push({ name, data });
    }
    return out;
  }

  /** Throws when the archive ended inside an entry. */
  end(): void {
    if (this.header) throw new Error(`${this.file}: truncated tar archive at ${JSON.stringify(this.header.name)}`);
    if (!this.done && this.pendingBytes > 0)
      throw new Error(`${this.file}: truncated tar archive (${this.pendingBytes} bytes after the last entry)`);
  }

  private parseHeader(block: Buffer) {
    if (!checksumMatches(block, this.file)) throw new Error(`${this.file}: corrupt tar header (checksum mismatch)`);
    const type = String.fromCharCode(block[156] || 0x30);
    const size = this.paxSize ?? numeric(block, 124, 12, 'size', this.file);
    if ((type === 'L' || type === 'x') && size > maxExtendedHeaderBytes)
      throw new Error(`${this.file}: corrupt tar header (${size}-byte extended header)`);
    // POSIX ustar ("ustar\0") splits long names into prefix/name; GNU ("ustar  ") uses that space otherwise.
    const ustar = field(block, 257, 5) === 'ustar' && block[262] === 0;
    const prefix = ustar ? field(block, 345, 155) : '';
    const name = this.paxPath ?? this.longName ?? (prefix ? `${prefix}/${field(block, 0, 100)}` : field(block, 0, 100));
    // A long name or PAX record applies to the next header only ('g' global headers are ignored).
    if (type !== 'L' && type !== 'x' && type !== 'g') {
      this.longName = undefined;
      this.paxPath = undefined;
      this.paxSize = undefined;
    }
    return { name, type, size, padded: Math.ceil(size / BLOCK) * BLOCK };
  }

  private take(n: number): Buffer {
    const all = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
    this.pending = n < all.length ? [all.subarray(n)] : [];
    this.pendingBytes = all.length - n;
    return all.subarray(0, n);
  }
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function tooLarge(file: string, limit: number): Error {
  return new Error(`${file}: decompresses to more than ${limit} bytes, the limit for an archive (a gzip bomb?)`);
}

/** Regular files of a .tar or .tgz buffer, in archive order. Throws naming `file` on a corrupt archive. */
export function readTar(buffer: Buffer, file: string, limit = maxTarBytes): TarEntry[] {
  let tar: Buffer;
  try {
    tar = isGzip(buffer) ? gunzipSync(buffer, { maxOutputLength: limit }) : buffer;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(file, limit);
    throw new Error(`${file}: not a valid gzip file (${err instanceof Error ? err.message : String(err)})`);
  }
  const parser = new TarParser(file);
  const entries = parser.push(tar) as TarEntry[];
  parser.end();
  return entries;
}

/**
 * Streams the regular files of a .tar or .tgz file, decompressing as it goes: memory holds one entry
 * (at most `maxEntryBytes`; larger entries come back as skipped), and reading stops with an error
 * after `limit` decompressed bytes.
 */
export async function* streamTar(
  path: string,
  maxEntryBytes: number,
  limit = maxTarBytes,
): AsyncGenerator<TarEntry | SkippedTarEntry> {
  const raw = createReadStream(path);
  // The first bytes say whether it is gzipped; they are put back rather than read twice, so a FIFO works too.
  let head: Buffer | null;
  try {
    head = await new Promise<Buffer | null>((resolve, reject) => {
      raw.once('error', reject);
      raw.once('readable', () => resolve(raw.read() as Buffer | null));
    });
  } catch (err) {
    raw.destroy();
    throw new Error(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (head) raw.unshift(head);
  const gzip = head !== null && isGzip(head);
  const source = gzip ? raw.pipe(createGunzip()) : raw;
  raw.on('error', (err) => source.destroy(err));
  const parser = new TarParser(path, maxEntryBytes);
  let total = 0;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > limit) throw tooLarge(path, limit);
      yield* parser.push(chunk);
      if (parser.done) return;
    }
  } catch (err) {
    if (gzip && (err as NodeJS.ErrnoException).code?.startsWith('Z_'))
      throw new Error(`${path}: not a valid gzip file (${(err as Error).message})`);
    throw err;
  } finally {
    raw.destroy();
    source.destroy();
  }
  parser.end();
}
