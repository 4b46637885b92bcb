// The run report: report.html (self-contained) plus loss.png and precision.png, the same charts as PNG.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { chartPng } from './chart.js';
import { runReportHtml } from './html.js';
import { healthChart, lossChart, precisionChart } from './plots.js';
import type { RunReportData } from './types.js';

export type { RunReportData } from './types.js';
export { formatTables } from './tables.js';

export interface WrittenReport {
  html: string;
  lossPng: string;
  precisionPng: string;
}

/** Writes DIR/report.html, DIR/loss.png and DIR/precision.png (DIR is created); returns their paths. */
export async function writeRunReport(dir: string, data: RunReportData): Promise<WrittenReport> {
  mkdirSync(dir, { recursive: true });
  const paths = {
    html: join(dir, 'report.html'),
    lossPng: join(dir, 'loss.png'),
    precisionPng: join(dir, 'precision.png'),
  };
  await writeFileAtomic(paths.html, runReportHtml(data));
  await writeFileAtomic(paths.lossPng, chartPng(lossChart(data)));
  await writeFileAtomic(paths.precisionPng, chartPng(precisionChart(data.retrieval)));
  const health = healthChart(data);
  if (health) await writeFileAtomic(join(dir, 'health.png'), chartPng(health));
  return paths;
}
