// The demo page (web/index.html): shows the WebGPU adapter the engine runs on, loads the served training run
// (or trains one in the page) for report→image and image→report search (src/web/lib/demo-ui.ts), and runs a
// self-check of a few kernels against their float64 references, on the same code path as Node.
import ontology from 'medtrim:ontology';
import { adapterLine } from '../bench/format.js';
import { setOntologySources, type OntologyFile } from '../ober/ontology.js';
import { bootEngine, element, fillDescriptionList, fillTable, showFatal, type MedtrimPageApi } from './lib/boot.js';
import { startDemo } from './lib/demo-ui.js';
import { caseInputs, KERNEL_CASES, maxAbsDifference, runCaseOnGpu, runCaseReference } from './lib/kernel-cases.js';

const SELF_CHECK_SEED = 1;
/** Same bound as the Node GPU tests: |gpu − ref| ≤ ATOL + RTOL·|ref|. */
const RTOL = 1e-5;
const ATOL = 1e-5;

export interface SelfCheckRow {
  name: string;
  values: number;
  maxAbsError: number;
  passed: boolean;
  milliseconds: number;
}

declare global {
  interface Window {
    medtrimSelfCheck?: { rows: SelfCheckRow[]; passed: boolean; shownAtMs: number };
  }
}

function withinTolerance(actual: ArrayLike<number>, expected: ArrayLike<number>): boolean {
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i]! - expected[i]!) <= ATOL + RTOL * Math.abs(expected[i]!))) return false;
  }
  return actual.length === expected.length;
}

function showAdapter(api: MedtrimPageApi): void {
  const a = api.adapter;
  fillDescriptionList(element('adapter-info'), [
    ['adapter', adapterLine(a)],
    ['vendor', a.vendor || '—'],
    ['architecture', a.architecture || '—'],
    ['description', a.description || '—'],
    ['fallback adapter', a.isFallbackAdapter ? 'yes' : 'no'],
    [
      'engine features',
      Object.entries(api.features)
        .filter(([, on]) => on)
        .map(([f]) => f)
        .join(', ') || 'none',
    ],
    ['adapter features', api.adapterFeatures.join(', ')],
    ['max invocations / workgroup', String(api.limits.maxComputeInvocationsPerWorkgroup)],
    ['max storage buffer binding', `${((api.limits.maxStorageBufferBindingSize ?? 0) / 2 ** 20).toFixed(0)} MiB`],
    ['embedded shaders', String(api.shaderNames.length)],
  ]);
}

async function selfCheck(api: MedtrimPageApi): Promise<SelfCheckRow[]> {
  const rows: SelfCheckRow[] = [];
  for (const c of KERNEL_CASES) {
    const inputs = caseInputs(c, SELF_CHECK_SEED);
    const started = performance.now();
    const gpu = await api.exclusive(() => runCaseOnGpu(api.rt, c, inputs));
    const milliseconds = performance.now() - started;
    const ref = runCaseReference(c, inputs).data;
    rows.push({
      name: c.name,
      values: gpu.length,
      maxAbsError: maxAbsDifference(gpu, ref),
      passed: withinTolerance(gpu, ref),
      milliseconds,
    });
  }
  return rows;
}

function showSelfCheck(rows: SelfCheckRow[]): void {
  const passed = rows.every((r) => r.passed);
  fillTable(
    element<HTMLTableElement>('self-check-table'),
    ['kernels', 'values', 'max |GPU − float64|', 'ms (first run compiles)', 'result'],
    rows.map((r) => [
      r.name,
      String(r.values),
      r.maxAbsError.toExponential(2),
      r.milliseconds.toFixed(1),
      r.passed ? 'pass' : 'FAIL',
    ]),
  );
  const status = element('self-check-status');
  status.textContent = passed
    ? `all ${rows.length} checks within ${RTOL.toExponential(0)} of float64`
    : 'some kernels disagree with their float64 reference';
  status.dataset.status = passed ? 'pass' : 'fail';
  window.medtrimSelfCheck = { rows, passed, shownAtMs: performance.now() };
}

async function main(): Promise<void> {
  setOntologySources(ontology as Record<OntologyFile, string>);
  const api = await bootEngine();
  showAdapter(api);
  await startDemo(api);
  showSelfCheck(await selfCheck(api));
}

main().catch(showFatal);
