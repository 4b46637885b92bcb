// The kernel benchmark page (web/bench.html): each case's rate is the median of timed launches after a
// warm-up, every launch timed until device.queue.onSubmittedWorkDone() (Runtime.sync) resolves.
import { timeInterleaved } from '../bench/timing.js';
import { adapterLine } from '../bench/format.js';
import { benchCases, benchSettings, type BenchCase } from './lib/bench-cases.js';
import { bootEngine, element, fillTable, showFatal, type MedtrimPageApi } from './lib/boot.js';

export interface BenchRow {
  name: string;
  unit: BenchCase['unit'];
  medianMs: number;
  rate: number;
  runsMs: number[];
}

declare global {
  interface Window {
    medtrimBench?: { adapter: string; runs: number; rows: BenchRow[] };
  }
}

async function benchOne(api: MedtrimPageApi, c: BenchCase, runs: number): Promise<BenchRow> {
  const prepared = c.prepare(api.rt);
  try {
    const once = async () => {
      prepared.launch();
      await api.rt.sync();
    };
    const [timing] = await timeInterleaved([once], { warmup: 1, runs });
    return {
      name: c.name,
      unit: c.unit,
      medianMs: timing!.seconds * 1e3,
      rate: c.work / timing!.seconds / 1e9,
      runsMs: timing!.runs.map((s) => s * 1e3),
    };
  } finally {
    prepared.dispose();
  }
}

function showRows(rows: BenchRow[], pending: number): void {
  fillTable(
    element<HTMLTableElement>('bench-table'),
    ['kernel', 'median ms', 'rate'],
    rows.map((r) => [r.name, r.medianMs.toFixed(2), `${r.rate.toPrecision(3)} ${r.unit}`]),
  );
  element('bench-status').textContent = pending ? `running… ${pending} case(s) to go` : 'done';
}

async function main(): Promise<void> {
  const settings = benchSettings(new URLSearchParams(location.search));
  const api = await bootEngine();
  const adapter = adapterLine(api.adapter);
  element('bench-adapter').textContent = adapter;
  element('bench-method').textContent =
    `median of ${settings.runs} runs after one warm-up, each timed until the queue drains`;
  const cases = benchCases(settings);
  const rows: BenchRow[] = [];
  showRows(rows, cases.length);
  for (const c of cases) {
    rows.push(await api.exclusive(() => benchOne(api, c, settings.runs)));
    showRows(rows, cases.length - rows.length);
  }
  element('bench-status').dataset.status = 'done';
  window.medtrimBench = { adapter, runs: settings.runs, rows };
}

main().catch(showFatal);
