// Report sections: only FINDINGS and IMPRESSION carry the study's findings; INDICATION, HISTORY,
// COMPARISON and the like describe why it was done and would produce false positives.

/** A header is a capitalised word or phrase at a line start followed by a colon ("FINDINGS:"). */
const headerPattern = /(^|\n)[ \t]*([A-Za-z][A-Za-z /]{1,40}?)[ \t]*:/g;
const knownHeaders =
  /^(findings?|impressions?|indications?|history|clinical history|comparisons?|technique|exam|examination|reason for exam|reason for study|clinical information|procedure|conclusions?|summary|opinion|recommendations?|notification)$/i;
const keptHeaders = /^(findings?|impressions?|conclusions?|summary|opinion)$/i;

/** Character ranges [start, end) of the text to read: kept sections, or all text when it has no known header. */
export function reportRanges(text: string): Array<[number, number]> {
  const headers: Array<{ name: string; bodyStart: number; headerStart: number }> = [];
  for (const m of text.matchAll(headerPattern)) {
    const name = m[2].trim();
    if (!knownHeaders.test(name)) continue;
    headers.push({ name, headerStart: m.index + m[1].length, bodyStart: m.index + m[0].length });
  }
  if (headers.length === 0) return [[0, text.length]];
  const ranges: Array<[number, number]> = [];
  headers.forEach((h, i) => {
    const end = i + 1 < headers.length ? headers[i + 1].headerStart : text.length;
    if (keptHeaders.test(h.name)) ranges.push([h.bodyStart, end]);
  });
  return ranges;
}
