// Splits of real data: the data set's own where it has them (MIMIC-CXR's split file, a manifest's split
// column), otherwise a deterministic split by patient, so that no patient's images sit in two splits. A
// run records the result (`splits.csv`) and reads it back, so that eval, search and the demo see exactly
// the split it trained on.
import { hashedSplit, type ImageReportRecord } from './loaders/records.js';
import { splitNames, type SplitName } from './paired.js';

/** The key a record is split by: its patient, else its study, else its own id. */
export function patientKey(r: ImageReportRecord): string {
  return r.patientId ?? r.studyId ?? r.id;
}

/**
 * Gives every record a split: its own where it has one; a record without one takes the split its patient
 * already has from the data set, else a hash of the patient key (80 / 10 / 10). Returns the patients the
 * data set's own split puts in more than one split (the data set's choice is kept, the caller warns).
 */
export function assignSplits(records: ImageReportRecord[]): { leakingPatients: string[] } {
  const own = new Map<string, Set<SplitName>>();
  for (const r of records)
    if (r.split) (own.get(patientKey(r)) ?? own.set(patientKey(r), new Set()).get(patientKey(r))!).add(r.split);
  for (const r of records) {
    if (r.split) continue;
    const known = own.get(patientKey(r));
    r.split = known ? [...known][0] : hashedSplit(patientKey(r));
  }
  return { leakingPatients: [...own].filter(([, s]) => s.size > 1).map(([p]) => p) };
}

/** `id,split` lines (ids are quoted when they hold a comma or quote). */
export function formatSplits(records: readonly { id: string; split?: SplitName }[]): string {
  const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return 'id,split\n' + records.map((r) => `${quote(r.id)},${r.split}`).join('\n') + '\n';
}

/** Parses what formatSplits wrote; `source` names the file in errors. */
export function parseSplits(text: string, source: string): Map<string, SplitName> {
  const out = new Map<string, SplitName>();
  const lines = text.split('\n');
  if (lines[0] !== 'id,split') throw new Error(`${source}: expected the header 'id,split'`);
  lines.slice(1).forEach((line, i) => {
    if (!line) return;
    const m = /^(?:"((?:[^"]|"")*)"|([^,]*)),(\w+)$/.exec(line);
    const split = m?.[3] as SplitName | undefined;
    if (!m || !splitNames.includes(split!)) throw new Error(`${source}: line ${i + 2} is not 'id,split'`);
    out.set(m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]!, split!);
  });
  return out;
}
