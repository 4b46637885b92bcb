// Tar archives written by hand (ustar, GNU long names, POSIX PAX), so the reader is tested against the
// format, not against itself.

function header(name: string, size: number, type: string, magic: 'ustar' | 'gnu' = 'ustar'): Buffer {
  const h = Buffer.alloc(512);
  h.write(name.slice(0, 100), 0);
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(size.toString(8).padStart(11, '0') + '\0', 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write(type, 156);
  if (magic === 'ustar') h.write('ustar\0' + '00', 257);
  else h.write('ustar  \0', 257);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return h;
}

function padded(data: Buffer): Buffer[] {
  return [data, Buffer.alloc((512 - (data.length % 512)) % 512)];
}

/** One PAX record "LEN key=value\n", LEN counting itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length) length++;
  return `${length}${body}`;
}

export type TarStyle = 'ustar' | 'gnu-longname' | 'pax';

/** An archive of the files; names over 100 bytes use a GNU 'L' entry or a PAX 'x' header by `style`. */
export function tarOf(files: Record<string, string | Buffer>, style: TarStyle = 'ustar'): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, content] of Object.entries(files)) {
    const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    if (name.length > 100 && style === 'gnu-longname') {
      const long = Buffer.from(name + '\0');
      blocks.push(header('././@LongLink', long.length, 'L', 'gnu'), ...padded(long));
    }
    if (name.length > 100 && style === 'pax') {
      const pax = Buffer.from(paxRecord('path', name));
      blocks.push(header(`PaxHeaders/${name.slice(-50)}`, pax.length, 'x'), ...padded(pax));
    }
    blocks.push(header(name, data.length, '0', style === 'gnu-longname' ? 'gnu' : 'ustar'), ...padded(data));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

export function openIXml(id: string, findings: string, impression: string): string {
  return (
    `<?xml version="1.0" encoding="utf-8"?>\n<eCitation>\n<uId id="${id}"/>\n<Abstract>\n` +
    `<AbstractText Label="INDICATION">Pneumonia</AbstractText>\n<AbstractText Label="FINDINGS">${findings}</AbstractText>\n` +
    `<AbstractText Label="IMPRESSION">${impression}</AbstractText>\n</Abstract>\n<MeSH><major>normal</major></MeSH>\n</eCitation>\n`
  );
}
