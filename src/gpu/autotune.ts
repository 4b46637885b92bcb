// Kernel autotuning: the first use of a kernel shape family on an adapter asks for a tuning; `tunePending`
// then times every candidate configuration on that family and keeps the fastest, cached per adapter (Node: a
// JSON file under MEDTRIM_CACHE_DIR or ~/.cache/medtrim; browser: localStorage) so later runs skip the search.
// Kernels launch synchronously, so the use that asks for a tuning runs with the kernel's default; a caller that
// wants tuned configs from the start runs one warm-up step, awaits tunePending(), and goes on. Off unless
// enableAutotune was called for the runtime (tests stay deterministic).
import { PassTimer } from './pass-timer.js';
import type { Runtime } from './runtime.js';

export type TileConfig = Record<string, number>;

/** Records one run of the kernel with a configuration, on inputs it made itself (the caller's may be gone by then). */
export interface Trial<C> {
  run(config: C): void;
  dispose(): void;
}

export interface TunedEntry {
  config: TileConfig;
  /** Median seconds of each candidate, in candidate order, and how they were measured. */
  candidates: { config: TileConfig; seconds: number }[];
  clock: 'gpu-timestamps' | 'wall';
}

export interface TuneCache {
  version: 1;
  adapter: string;
  entries: Record<string, TunedEntry>;
}

/** Where a cache lives: load returns the parsed JSON, or undefined when there is none. */
export interface TuneStore {
  readonly where: string;
  load(): Promise<unknown>;
  save(cache: TuneCache): Promise<void>;
}

const sameConfig = (a: TileConfig, b: TileConfig) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);

function isEntry(value: unknown): value is TunedEntry {
  const e = value as TunedEntry;
  const isConfig = (c: unknown) =>
    typeof c === 'object' && c !== null && Object.values(c).every((v) => Number.isInteger(v));
  return typeof e === 'object' && e !== null && isConfig(e.config) && Array.isArray(e.candidates);
}

/** The cache in `raw` if it is one for `adapter`; else a warning naming the store and the problem, and undefined. */
export function parseCache(raw: unknown, adapter: string, where: string): TuneCache | undefined {
  const c = raw as TuneCache;
  const problem =
    typeof c !== 'object' || c === null
      ? 'not a JSON object'
      : c.version !== 1
        ? `version ${JSON.stringify(c.version)} is not 1`
        : c.adapter !== adapter
          ? `it is for adapter '${c.adapter}', not '${adapter}'`
          : typeof c.entries !== 'object' || c.entries === null || !Object.values(c.entries).every(isEntry)
            ? 'malformed entries'
            : null;
  if (!problem) return c;
  console.warn(`autotune: ignoring ${where}: ${problem}`);
  return undefined;
}

interface Pending {
  candidates: readonly TileConfig[];
  makeTrial(): Trial<TileConfig>;
}

export class Autotuner {
  private readonly pending = new Map<string, Pending>();
  /** Families whose tuned config a kernel launch used, with that config. */
  readonly used = new Map<string, TileConfig>();
  /** Families tuned in this process (the rest of `used` came from the cache). */
  readonly tunedNow = new Set<string>();

  constructor(
    readonly rt: Runtime,
    readonly store: TuneStore,
    readonly cache: TuneCache,
    private readonly options: { runs: number } = { runs: 3 },
  ) {}

  /** The tuned config of `family` if it is one of `candidates`; otherwise undefined, and the family is queued for tuning. */
  choose<C extends { [K in keyof C]: number }>(
    family: string,
    candidates: readonly C[],
    makeTrial: () => Trial<C>,
  ): C | undefined {
    const entry = this.cache.entries[family];
    const tuned = entry && candidates.find((c) => sameConfig(c as TileConfig, entry.config));
    if (tuned) {
      this.used.set(family, tuned as TileConfig);
      return tuned;
    }
    if (candidates.length > 1 && !this.pending.has(family)) {
      this.pending.set(family, {
        candidates: candidates as readonly TileConfig[],
        makeTrial: makeTrial as unknown as () => Trial<TileConfig>,
      });
    }
    return undefined;
  }

  get pendingFamilies(): string[] {
    return [...this.pending.keys()];
  }

  /** Times every candidate of every queued family, keeps the fastest, and saves the cache. */
  async tunePending(): Promise<void> {
    if (this.pending.size === 0) return;
    await this.rt.sync();
    const timer = PassTimer.create(this.rt);
    try {
      for (const [family, p] of this.pending) {
        this.cache.entries[family] = await this.tune(p, timer);
        this.tunedNow.add(family);
      }
    } finally {
      timer?.destroy();
      this.pending.clear();
    }
    await this.store.save(this.cache);
  }

  private async tune(p: Pending, timer: PassTimer | null): Promise<TunedEntry> {
    const trial = p.makeTrial();
    try {
      const candidates: TunedEntry['candidates'] = [];
      for (const config of p.candidates) {
        const once = async () => {
          trial.run(config);
          await this.rt.sync();
        };
        await once(); // compiles the pipeline
        const times: number[] = [];
        for (let r = 0; r < this.options.runs; r++) {
          const t0 = performance.now();
          const device = timer ? await timer.time(once) : await once().then(() => undefined);
          times.push(device ?? (performance.now() - t0) / 1000);
        }
        candidates.push({ config, seconds: times.sort((a, b) => a - b)[times.length >> 1]! });
      }
      const best = candidates.reduce((a, b) => (b.seconds < a.seconds ? b : a));
      return { config: best.config, candidates, clock: timer ? 'gpu-timestamps' : 'wall' };
    } finally {
      trial.dispose();
      await this.rt.sync();
    }
  }
}

const tuners = new WeakMap<Runtime, Autotuner>();

/** The runtime's tuner, when autotuning was enabled for it. */
export function autotunerOf(rt: Runtime): Autotuner | undefined {
  return tuners.get(rt);
}

/** Turns autotuning on for `rt`, starting from the store's cache (a corrupt or foreign one is ignored with a warning). */
export async function enableAutotune(
  rt: Runtime,
  store: TuneStore,
  adapter: string,
  options?: { runs: number },
): Promise<Autotuner> {
  let raw: unknown;
  try {
    raw = await store.load();
  } catch (err) {
    console.warn(`autotune: ignoring ${store.where}: ${(err as Error).message}`);
  }
  const cache = (raw !== undefined && parseCache(raw, adapter, store.where)) || {
    version: 1 as const,
    adapter,
    entries: {},
  };
  const tuner = new Autotuner(rt, store, cache, options);
  tuners.set(rt, tuner);
  return tuner;
}

export function disableAutotune(rt: Runtime): void {
  tuners.delete(rt);
}

/** Node: `<MEDTRIM_CACHE_DIR or ~/.cache/medtrim>/autotune-<adapter>.json`; JSON that does not parse is reported by load. */
export async function nodeTuneStore(adapter: string): Promise<TuneStore> {
  const { mkdir, readFile, rename, writeFile } = await import('node:fs/promises');
  const { homedir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = process.env.MEDTRIM_CACHE_DIR || join(homedir(), '.cache', 'medtrim');
  const file = join(dir, `autotune-${adapter}.json`);
  return {
    where: file,
    async load() {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
      return JSON.parse(text) as unknown;
    },
    async save(cache) {
      await mkdir(dir, { recursive: true });
      // Written aside and renamed, so a concurrent reader never sees half a file.
      const partial = `${file}.${process.pid}.tmp`;
      await writeFile(partial, JSON.stringify(cache, null, 2) + '\n');
      await rename(partial, file);
    },
  };
}

/** Browser: one localStorage key per adapter. */
export function localStorageTuneStore(adapter: string): TuneStore {
  const key = `medtrim-autotune-${adapter}`;
  const storage = (globalThis as { localStorage?: Storage }).localStorage;
  if (!storage) throw new Error('autotune: localStorage is not available here');
  return {
    where: `localStorage['${key}']`,
    async load() {
      const text = storage.getItem(key);
      return text === null ? undefined : (JSON.parse(text) as unknown);
    },
    async save(cache) {
      storage.setItem(key, JSON.stringify(cache));
    },
  };
}
