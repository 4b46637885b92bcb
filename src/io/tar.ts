// A small reader for (gzipped) ustar/GNU tar archives: enough for the Open-i report tarball.
import { gunzipSync } from 'node:zlib';

export interface TarEntry {
  name: string;
  data: Buffer;
}

function field(block: Buffer, start: number, length: number): string {
  const raw = block.subarray(start, start + length);
  const nul = raw.indexOf(0);
  return raw.subarray(0, nul < 0 ? length : nul).toString('utf8');
}

function octal(block: Buffer, start: number, length: number, file: string): number {
  const text = field(block, start, length).trim();
  if (!/^[0-7]*$/.test(text)) throw new Error(`${file}: corrupt tar header (size field '${text}')`);
  return text === '' ? 0 : parseInt(text, 8);
}

/** Regular files of a .tar or .tgz buffer, in archive order. Throws naming `file` on a corrupt archive. */
export function readTar(buffer: Buffer, file: string): TarEntry[] {
  let tar: Buffer;
  try {
    tar = buffer[0] === 0x1f && buffer[1] === 0x8b ? gunzipSync(buffer) : buffer;
  } catch (err) {
    throw new Error(`${file}: not a valid gzip file (${err instanceof Error ? err.message : String(err)})`);
  }
  const entries: TarEntry[] = [];
  let longName: string | undefined;
  for (let offset = 0; offset + 512 <= tar.length; ) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const size = octal(header, 124, 12, file);
    const type = String.fromCharCode(header[156] || 0x30);
    const prefix = field(header, 345, 155);
    const name = longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    const data = tar.subarray(offset + 512, offset + 512 + size);
    if (data.length < size) throw new Error(`${file}: truncated tar archive at '${name}'`);
    longName = undefined;
    if (type === 'L') longName = field(data, 0, size);
    else if (type === '0' || type === '\0') entries.push({ name, data });
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return entries;
}
