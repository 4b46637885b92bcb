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

/** The non-empty FINDINGS and IMPRESSION texts of a report, in that order. */
export function openISections(xml: string): { label: 'FINDINGS' | 'IMPRESSION'; text: string }[] {
  const sections: { label: 'FINDINGS' | 'IMPRESSION'; text: string }[] = [];
  for (const label of ['FINDINGS', 'IMPRESSION'] as const) {
    const m = new RegExp(`<AbstractText Label="${label}"\\s*(?:/>|>([\\s\\S]*?)</AbstractText>)`).exec(xml);
    const text = decodeEntities(m?.[1] ?? '').trim();
    if (text) sections.push({ label, text });
  }
  return sections;
}

/** Parses one report; throws with a one-line reason when the XML is not an Open-i report. */
export function parseOpenIXml(xml: string): OpenIReport {
  if (!/<eCitation[\s>]/.test(xml) || !/<\/eCitation>\s*$/.test(xml)) throw new Error('not an Open-i report (no complete <eCitation> element)');
  const id = /<uId\s+id="([^"]+)"/.exec(xml)?.[1];
  if (!id) throw new Error('Open-i report without <uId id="…">');
  const sections = openISections(xml).map((s) => `${s.label}: ${s.text}`);
  const mesh = [...xml.matchAll(/<major>([\s\S]*?)<\/major>/g)].map((m) => decodeEntities(m[1]).trim());
  return { id, text: sections.join('\n'), mesh };
}
