// Open-i (Indiana University chest X-ray) report XML: the uId, the FINDINGS/IMPRESSION text and the
// MeSH `major` tags. Parsed with targeted patterns: the files are flat and regular, and a malformed
// file is reported, not guessed at.

export interface OpenIReport {
  id: string;
  /** "FINDINGS: …\nIMPRESSION: …" (only the sections present and non-empty). */
  text: string;
  /** MeSH major tags, e.g. "Pleural Effusion/bilateral/small". */
  mesh: string[];
}

function decodeEntities(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-f]+);/gi, (_, e: string) => {
    const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
    if (e[0] !== '#') return named[e.toLowerCase()];
    return String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
  });
}

/**
 * The text between `<AbstractText Label="LABEL">` and the next `</AbstractText>` (empty for a
 * self-closing tag), or undefined when there is none. Found with indexOf rather than a lazy regex: a
 * regex retries the scan to the end of the text from every unclosed opening tag, which is quadratic.
 */
function abstractText(xml: string, label: string): string | undefined {
  const open = `<AbstractText Label="${label}"`;
  for (let at = xml.indexOf(open); at >= 0; at = xml.indexOf(open, at + open.length)) {
    let i = at + open.length;
    while (i < xml.length && /\s/.test(xml[i])) i++;
    if (xml.startsWith('/>', i)) return '';
    if (xml[i] !== '>') continue;
    const close = xml.indexOf('</AbstractText>', i + 1);
    // No closing tag after this opening tag means none after any later one either.
    return close < 0 ? undefined : xml.slice(i + 1, close);
  }
  return undefined;
}

/** The contents of every `<tag>…</tag>` element, in order (linear time, as abstractText). */
function elementTexts(xml: string, tag: string): string[] {
  const open = `<${tag}>`;
  const close = `</${tag}>`;
  const out: string[] = [];
  for (let at = xml.indexOf(open); at >= 0; ) {
    const end = xml.indexOf(close, at + open.length);
    if (end < 0) break;
    out.push(xml.slice(at + open.length, end));
    at = xml.indexOf(open, end + close.length);
  }
  return out;
}

/** The non-empty FINDINGS and IMPRESSION texts of a report, in that order. */
export function openISections(xml: string): { label: 'FINDINGS' | 'IMPRESSION'; text: string }[] {
  const sections: { label: 'FINDINGS' | 'IMPRESSION'; text: string }[] = [];
  for (const label of ['FINDINGS', 'IMPRESSION'] as const) {
    const text = decodeEntities(abstractText(xml, label) ?? '').trim();
    if (text) sections.push({ label, text });
  }
  return sections;
}

/** Parses one report; throws with a one-line reason when the XML is not an Open-i report. */
export function parseOpenIXml(xml: string): OpenIReport {
  if (!/<eCitation[\s>]/.test(xml) || !xml.trimEnd().endsWith('</eCitation>'))
    throw new Error('not an Open-i report (no complete <eCitation> element)');
  const id = /<uId\s+id="([^"]+)"/.exec(xml)?.[1];
  if (!id) throw new Error('Open-i report without <uId id="…">');
  const sections = openISections(xml).map((s) => `${s.label}: ${s.text}`);
  const mesh = elementTexts(xml, 'major').map((m) => decodeEntities(m).trim());
  return { id, text: sections.join('\n'), mesh };
}
