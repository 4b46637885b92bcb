// The demo page's retrieval and training sections: loads the served run (or says there is none), searches
// the test split by report or by image, shows OBER's entities in the reports it returns, trains a model in
// the page with a live loss chart. Every action is also on window.medtrimDemo, so tests drive the same code.
import type { StepLog } from '../../train/trainer.js';
import type { MedtrimPageApi } from './boot.js';
import { element, fillDescriptionList } from './boot.js';
import {
  fetchSiteInfo,
  IN_PAGE_DEFAULTS,
  loadServedRun,
  trainInPage,
  type DemoModel,
  type InPageTraining,
} from './demo-model.js';
import { markReport, renderMarkedReport } from './entity-marks.js';
import { drawLossChart } from './loss-chart.js';
import { RetrievalIndex, type Hit } from './retrieval.js';
import { grayCanvas } from './thumbnail.js';

/** Test images shown for clicking before any search. */
const GALLERY_SIZE = 16;

export type DemoPhase = 'starting' | 'loading' | 'ready' | 'no-run' | 'failed' | 'training';

export interface MedtrimDemoApi {
  phase: DemoPhase;
  /** Why loading the served run failed (the page shows it too). */
  error?: string;
  /** performance.now() when the model was ready to search, and when the latest search result was shown. */
  readyAtMs?: number;
  shownAtMs?: number;
  model(): { origin: DemoModel['origin']; config: DemoModel['config'] } | null;
  testIndices(): number[];
  /** Embeddings (L2-normalised rows) of the given test samples, as the search uses them. */
  embedImages(indices: number[]): Promise<number[][]>;
  embedTexts(indices: number[]): Promise<number[][]>;
  /** Searches and shows the results, as the search box and a click on an image do. */
  search(report: string, k: number): Promise<Hit[]>;
  searchImage(index: number, k: number): Promise<Hit[]>;
  /** Trains in the page (defaults: IN_PAGE_DEFAULTS) and switches search to the new model; returns the losses. */
  train(settings?: Partial<InPageTraining>): Promise<number[]>;
}

declare global {
  interface Window {
    medtrimDemo?: MedtrimDemoApi;
  }
}

function setStatus(id: string, status: string, text: string): void {
  const line = element(id);
  line.textContent = text;
  line.dataset.status = status;
}

function originLines(demo: DemoModel): [string, string][] {
  const { origin, config } = demo;
  const source: [string, string][] =
    origin.kind === 'checkpoint'
      ? [
          ['checkpoint', `${origin.url} (${(origin.bytes / 2 ** 20).toFixed(2)} MiB, SHA-256 verified)`],
          ['step', String(origin.step)],
        ]
      : [
          [
            'trained',
            `in this page, ${origin.steps} steps, loss ${origin.losses[0]?.toFixed(3)} → ${origin.losses.at(-1)?.toFixed(3)}`,
          ],
        ];
  const test = demo.data.dataset.split('test').length;
  return [
    ...source,
    ['model', `${config.preset} preset, ${config.objective} objective`],
    ['data', `${demo.data.dataset.description} (${test} in the test split)`],
  ];
}

class DemoPage implements MedtrimDemoApi {
  phase: DemoPhase = 'starting';
  error?: string;
  readyAtMs?: number;
  shownAtMs?: number;
  private index: RetrievalIndex | null = null;

  constructor(private readonly api: MedtrimPageApi) {}

  private get ready(): RetrievalIndex {
    if (!this.index)
      throw new Error(
        `no model to search with (${this.phase === 'failed' ? this.error : 'load a run or train one first'})`,
      );
    return this.index;
  }

  model() {
    return this.index && { origin: this.index.demo.origin, config: this.index.demo.config };
  }

  testIndices(): number[] {
    return this.ready.samples.map((s) => s.index);
  }

  async embedImages(indices: number[]): Promise<number[][]> {
    return this.ready.rows('images', indices);
  }

  async embedTexts(indices: number[]): Promise<number[][]> {
    return this.ready.rows('texts', indices);
  }

  /** Loads the served run, if any; a failure is shown and kept, and training stays available. */
  async start(): Promise<void> {
    const site = await fetchSiteInfo();
    if (!site.run) {
      this.phase = 'no-run';
      setStatus(
        'model-status',
        'none',
        'No training run is served (start the demo with medtrim demo --run DIR). Train a small model in the page below instead.',
      );
      return;
    }
    this.phase = 'loading';
    setStatus('model-status', 'loading', `loading the run served under ${site.run}…`);
    try {
      await this.use(await this.api.exclusive(() => loadServedRun(this.api.rt, site.run!, site.testSplit)));
    } catch (err) {
      this.phase = 'failed';
      this.error = err instanceof Error ? err.message : String(err);
      setStatus('model-status', 'fail', `${this.error} — you can still train a model in the page below.`);
    }
  }

  /** Embeds the test split with `demo` and makes it the model searches use. */
  private async use(demo: DemoModel): Promise<void> {
    setStatus('model-status', 'loading', 'embedding the test split…');
    const index = await this.api.exclusive(() => RetrievalIndex.build(this.api.rt, demo));
    this.index?.demo.model.dispose();
    this.index = index;
    fillDescriptionList(element('model-info'), originLines(demo));
    this.showGallery();
    element<HTMLButtonElement>('search-button').disabled = false;
    this.phase = 'ready';
    this.readyAtMs = performance.now();
    setStatus('model-status', 'ready', `ready: ${index.samples.length} test images and reports embedded`);
  }

  private thumbnail(hit: { index: number; id: string; score?: number }): HTMLElement {
    const sample = this.ready.samples[this.ready.position(hit.index)]!;
    const figure = document.createElement('figure');
    figure.className = 'thumb';
    figure.dataset.index = String(hit.index);
    figure.title = `click: the reports nearest to ${hit.id}`;
    const caption = document.createElement('figcaption');
    caption.textContent = hit.score === undefined ? hit.id : `${hit.score.toFixed(3)} · ${hit.id}`;
    figure.append(grayCanvas(sample.image, sample.size), caption);
    figure.addEventListener(
      'click',
      () => void this.searchImage(hit.index, this.k()).catch((err) => setStatus('search-status', 'fail', String(err))),
    );
    return figure;
  }

  private showGallery(): void {
    element('gallery').replaceChildren(...this.ready.samples.slice(0, GALLERY_SIZE).map((s) => this.thumbnail(s)));
  }

  private k(): number {
    return Number(element<HTMLInputElement>('search-k').value);
  }

  async search(report: string, k: number): Promise<Hit[]> {
    const hits = await this.api.exclusive(() => this.ready.searchText(report, k));
    element('image-results').replaceChildren(...hits.map((h) => this.thumbnail(h)));
    element('image-results-title').textContent = `Test images nearest to the report (top ${hits.length})`;
    this.shown('search-status', `${hits.length} images for the report`);
    return hits;
  }

  async searchImage(index: number, k: number): Promise<Hit[]> {
    const hits = await this.api.exclusive(() => this.ready.searchImage(index, k));
    const items = hits.map((h) => {
      const sample = this.ready.samples[this.ready.position(h.index)]!;
      const { marks, entities } = markReport(sample.report);
      const item = document.createElement('li');
      item.className = 'report-hit';
      Object.assign(item.dataset, { index: String(h.index), entities: JSON.stringify(entities) });
      const head = document.createElement('p');
      head.className = 'hit-head';
      head.textContent = `${h.score.toFixed(3)} · ${h.id} · OBER: ${
        Object.entries(entities)
          .map(([c, d]) => [c, ...d.adjectives, ...d.directions].join(' '))
          .join('; ') || 'nothing positive'
      }`;
      const text = document.createElement('pre');
      text.className = 'report';
      text.append(renderMarkedReport(sample.report, marks));
      item.append(head, text);
      return item;
    });
    element('report-results').replaceChildren(...items);
    element('report-results-title').textContent =
      `Test reports nearest to image ${this.ready.samples[this.ready.position(index)]!.id} (top ${hits.length})`;
    element('report-query').replaceChildren(
      this.thumbnail({ index, id: this.ready.samples[this.ready.position(index)]!.id }),
    );
    this.shown('search-status', `${hits.length} reports for the image`);
    return hits;
  }

  private shown(id: string, text: string): void {
    this.shownAtMs = performance.now();
    setStatus(id, 'done', text);
  }

  async train(settings: Partial<InPageTraining> = {}): Promise<number[]> {
    const chosen = { ...IN_PAGE_DEFAULTS, ...settings };
    const button = element<HTMLButtonElement>('train-button');
    button.disabled = true;
    const previous = this.phase;
    this.phase = 'training';
    const chart = element('loss-chart') as unknown as SVGSVGElement;
    const losses: number[] = [];
    const started = performance.now();
    const onLog = (log: StepLog) => {
      losses.push(log.loss);
      drawLossChart(chart, losses, chosen.steps);
      setStatus(
        'train-status',
        'running',
        `step ${log.step} / ${chosen.steps}: loss ${log.loss.toFixed(4)} (${log.samplesPerSec.toFixed(1)} samples/s)`,
      );
    };
    try {
      setStatus('train-status', 'running', 'building the vocabulary and the model…');
      const demo = await this.api.exclusive(() => trainInPage(this.api.rt, chosen, onLog));
      setStatus(
        'train-status',
        'done',
        `trained ${chosen.steps} steps in ${((performance.now() - started) / 1000).toFixed(1)} s; search now uses this model`,
      );
      await this.use(demo);
      return losses;
    } catch (err) {
      this.phase = previous;
      setStatus('train-status', 'fail', `training failed: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    } finally {
      button.disabled = false;
    }
  }

  /** Hooks the page's form controls to the actions. */
  wire(): void {
    const fail = (id: string) => (err: unknown) =>
      setStatus(id, 'fail', err instanceof Error ? err.message : String(err));
    element('search-form').addEventListener('submit', (event) => {
      event.preventDefault();
      void this.search(element<HTMLTextAreaElement>('search-text').value, this.k()).catch(fail('search-status'));
    });
    element('train-button').addEventListener('click', () => {
      const steps = Number(element<HTMLInputElement>('train-steps').value);
      void this.train({ steps }).catch(() => undefined);
    });
    element<HTMLButtonElement>('train-button').disabled = false;
    drawLossChart(element('loss-chart') as unknown as SVGSVGElement, [], IN_PAGE_DEFAULTS.steps);
  }
}

/** Publishes window.medtrimDemo, wires the page and loads the served run. */
export async function startDemo(api: MedtrimPageApi): Promise<MedtrimDemoApi> {
  const page = new DemoPage(api);
  window.medtrimDemo = page;
  page.wire();
  await page.start();
  return page;
}
