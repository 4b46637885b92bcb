// The report's tables as plain data (header + rows of cell text), rendered as markdown for the CLI and as
// HTML in report.html, so both always show the same numbers.
import type { ZeroShotResults } from '../eval/classification.js';
import { DIRECTIONS, type ClassPrecision, type PrecisionSummary, type RetrievalResults } from '../eval/retrieval.js';

export interface Table {
  title: string;
  header: string[];
  rows: string[][];
}

/** Three decimals; NaN (a mean over nothing, an undefined AUC or F1) shows as "n/a". */
export function formatMetric(v: number): string {
  return Number.isNaN(v) ? 'n/a' : v.toFixed(3);
}

function rValuesOf(results: RetrievalResults): number[] {
  const rs = new Set<number>();
  for (const d of Object.values(results)) for (const r of Object.keys(d.coarse.precisionAt)) rs.add(Number(r));
  return [...rs].sort((a, b) => a - b);
}

/**
 * One table per granularity: a row per direction with P@R, mAP@k, the mAP of a random ranking, the distinct
 * top-1 results (hubness: 1 means every query got the same first result) and the query counts.
 */
export function precisionTables(results: RetrievalResults): Table[] {
  const rValues = rValuesOf(results);
  const header = [
    'direction',
    ...rValues.map((r) => `P@${r}`),
    'mAP',
    'chance mAP',
    'distinct top-1',
    'queries',
    'no relevant',
  ];
  return (['coarse', 'fine'] as const).map((granularity) => ({
    title: `Retrieval precision, ${granularity} (${granularity === 'coarse' ? 'same disease classes' : 'same classes, directions and severity'})`,
    header,
    rows: DIRECTIONS.filter((d) => results[d]).map((d) => {
      const s: PrecisionSummary = results[d]![granularity];
      const hub = `${results[d]!.distinctTop1}/${results[d]!.queries}`;
      return [
        d,
        ...rValues.map((r) => formatMetric(s.precisionAt[r] ?? NaN)),
        formatMetric(s.map),
        formatMetric(s.chance.map),
        hub,
        String(s.queries),
        String(s.queriesWithoutRelevant),
      ];
    }),
  }));
}

export function zeroShotTable(z: ZeroShotResults): Table {
  return {
    title: `Zero-shot classification (${z.images} images, predicted positive when score > 0)`,
    header: ['class', 'positives', 'AUC', 'accuracy', 'F1'],
    rows: [
      ...z.classes.map((c) => [
        c.className,
        String(c.positives),
        formatMetric(c.auc),
        formatMetric(c.accuracy),
        formatMetric(c.f1),
      ]),
      ['macro / mean', '', formatMetric(z.macroAuc), formatMetric(z.meanAccuracy), formatMetric(z.macroF1)],
    ],
  };
}

export function perClassTable(direction: string, classes: ClassPrecision[], r = 10): Table {
  return {
    title: `Per-class P@${r}, ${direction} (coarse; queries having the class)`,
    header: ['class', 'queries', `P@${r}`],
    rows: classes.map((c) => [c.className, String(c.queries), formatMetric(c.precision)]),
  };
}

export function markdownTable(t: Table): string {
  const widths = t.header.map((h, i) => Math.max(h.length, ...t.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [`${t.title}`, '', line(t.header), line(widths.map((w) => '-'.repeat(w))), ...t.rows.map(line)].join('\n');
}

/** The P@R tables (coarse and fine) as markdown, which also reads as plain text in a terminal. */
export function formatTables(results: RetrievalResults): string {
  return precisionTables(results).map(markdownTable).join('\n\n');
}
