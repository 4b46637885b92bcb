// Start-up shared by every page: installs the embedded WGSL, opens the WebGPU device through the same
// acquireGpu() the Node side uses (navigator.gpu here), and publishes the engine as `window.medtrim` so that
// tests (Playwright's page.evaluate) and later page features drive exactly the code the page runs.
import shaders from 'medtrim:shaders';
import { acquireGpu, type AdapterDescription, type OptionalFeatures } from '../../gpu/device.js';
import { Runtime } from '../../gpu/runtime.js';
import { setShaderSources } from '../../gpu/shader-source.js';
import { KERNEL_CASES, kernelCase, runCaseOnGpu } from './kernel-cases.js';

export interface MedtrimPageApi {
  rt: Runtime;
  adapter: AdapterDescription;
  features: OptionalFeatures;
  /** Adapter features the browser reports (all of them, not only those the engine enables). */
  adapterFeatures: string[];
  limits: Record<string, number>;
  shaderNames: string[];
  caseNames: string[];
  /**
   * Runs GPU work after all work queued before it: tidyAsync scopes must not interleave, so page features and
   * test calls (page.evaluate) go through here rather than awaiting the runtime side by side.
   */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
  /** Runs a named kernel case (src/web/lib/kernel-cases.ts) on the given inputs; returns the output values. */
  runCase(name: string, inputs: number[][]): Promise<number[]>;
}

function serialQueue(): <T>(work: () => Promise<T>) => Promise<T> {
  let last: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>) => {
    const run = last.then(work);
    last = run.catch(() => undefined);
    return run;
  };
}

declare global {
  interface Window {
    medtrim?: MedtrimPageApi;
    /** Set instead of `medtrim` when start-up failed, with the reason. */
    medtrimError?: string;
  }
}

export async function bootEngine(): Promise<MedtrimPageApi> {
  setShaderSources(shaders);
  try {
    const gpu = await acquireGpu();
    const rt = new Runtime(gpu);
    const exclusive = serialQueue();
    const api: MedtrimPageApi = {
      rt,
      adapter: gpu.info,
      features: gpu.features,
      adapterFeatures: [...gpu.adapter.features].map(String).sort(),
      limits: gpu.limits,
      shaderNames: Object.keys(shaders).sort(),
      caseNames: KERNEL_CASES.map((c) => c.name),
      exclusive,
      runCase: (name, inputs) => exclusive(async () => Array.from(await runCaseOnGpu(rt, kernelCase(name), inputs))),
    };
    window.medtrim = api;
    return api;
  } catch (err) {
    window.medtrimError = err instanceof Error ? err.message : String(err);
    throw err;
  }
}

/** The element with this id, or a clear error naming the page that lacks it. */
export function element<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`${location.pathname} has no element #${id}`);
  return found as T;
}

/** Shows a start-up failure on the page (and keeps it for tests in window.medtrimError). */
export function showFatal(err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  window.medtrimError ??= message;
  const box = document.getElementById('fatal');
  if (box) {
    box.textContent = `${message}${navigator.gpu ? '' : ' — this browser exposes no navigator.gpu (WebGPU needs a secure context and, on Linux Chrome, --enable-unsafe-webgpu)'}`;
    box.hidden = false;
  }
}

/** Fills a <dl> with term/value pairs. */
export function fillDescriptionList(list: HTMLElement, entries: readonly [string, string][]): void {
  list.replaceChildren(
    ...entries.flatMap(([term, value]) => {
      const dt = document.createElement('dt');
      dt.textContent = term;
      const dd = document.createElement('dd');
      dd.textContent = value;
      return [dt, dd];
    }),
  );
}

/** Fills a <table> with a header row and body rows of text cells. */
export function fillTable(
  table: HTMLTableElement,
  header: readonly string[],
  rows: readonly (readonly string[])[],
): void {
  const row = (cells: readonly string[], tag: 'th' | 'td') => {
    const tr = document.createElement('tr');
    for (const text of cells) {
      const cell = document.createElement(tag);
      cell.textContent = text;
      tr.append(cell);
    }
    return tr;
  };
  const head = document.createElement('thead');
  head.append(row(header, 'th'));
  const body = document.createElement('tbody');
  body.append(...rows.map((r) => row(r, 'td')));
  table.replaceChildren(head, body);
}
