// A run's data on the Node side: the built-in synthetic set, or real data from config.data with its
// splits (assigned by patient when the data set has none) recorded in the run's splits.csv on creation and
// read back on every later open, and OBER's entities cached in the run's entities.jsonl (computed once per
// report, by every run that reads the directory).
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadRecords } from '../data/open-data.js';
import type { PairedDataset } from '../data/paired.js';
import { createFileDataset } from '../data/pipeline/file-dataset.js';
import { assignSplits, formatSplits, parseSplits } from '../data/splits.js';
import { createSyntheticDataset } from '../data/synthetic/dataset.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { EntitySet } from '../ober/entities.js';
import { recognize } from '../ober/recognize.js';
import type { TrainConfig } from './config.js';
import { modelConfigs } from './trainer.js';

export const DATA_FILES = { splits: 'splits.csv', entities: 'entities.jsonl', imageCache: 'image-cache' } as const;

/** OBER's entities by sample id, read from and appended to a JSONL file. */
export class EntityCache {
  private readonly known = new Map<string, EntitySet>();

  constructor(private readonly path: string) {
    if (!existsSync(path)) return;
    readFileSync(path, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (!line.trim()) return;
        try {
          const { id, entities } = JSON.parse(line) as { id: string; entities: EntitySet };
          this.known.set(id, entities);
        } catch {
          // A line torn by a crash mid-append is recomputed, not fatal.
          process.stderr.write(`medtrim: ${path} line ${i + 1} is not valid JSON; recomputing that entry\n`);
        }
      });
  }

  get(id: string, report: string): EntitySet {
    let e = this.known.get(id);
    if (!e) {
      e = recognize(report).entities;
      this.known.set(id, e);
      appendFileSync(this.path, JSON.stringify({ id, entities: e }) + '\n');
    }
    return e;
  }
}

export interface RunDataset {
  dataset: PairedDataset;
  entityOf: (id: string, report: string) => EntitySet;
}

/**
 * Opens the run's data. `create`: assign and record the splits; otherwise read them from splits.csv.
 * `dataPath` overrides config.data's location (the same data moved), never what the run trained on.
 */
export async function openRunData(
  config: TrainConfig,
  dir: string,
  { create, dataPath, warn }: { create: boolean; dataPath?: string; warn?: (line: string) => void },
): Promise<RunDataset> {
  const cache = new EntityCache(join(dir, DATA_FILES.entities));
  const entityOf = (id: string, report: string) => cache.get(id, report);
  const size = modelConfigs(config, 1).vit.imageSize;
  if (config.data === null) {
    if (dataPath !== undefined)
      throw new Error(`--data ${dataPath}: the run trained on the built-in synthetic data, not on files`);
    return { dataset: createSyntheticDataset({ seed: config.dataSeed, size, count: config.dataCount }), entityOf };
  }
  const path = resolve(dataPath ?? config.data);
  const say = warn ?? ((line: string) => process.stderr.write(line + '\n'));
  const { kind, records, skipped } = loadRecords(path, {
    sections: config.reportSections,
    strict: !config.skipBadImages,
    warn: say,
  });
  if (skipped.length)
    say(`medtrim data: skipped ${skipped.length} unusable rows or files of ${path} (--skip-bad-images)`);
  const splitsPath = join(dir, DATA_FILES.splits);
  let kept = records;
  if (create) {
    const { leakingPatients } = assignSplits(records);
    if (leakingPatients.length)
      say(
        `medtrim data: the data set's own split puts ${leakingPatients.length} patients in more than one split (e.g. ${leakingPatients[0]}); kept as given`,
      );
    if (!records.some((r) => r.split === 'train')) throw new Error(`${path}: no sample is in the train split`);
    await writeFileAtomic(splitsPath, formatSplits(records));
  } else {
    if (!existsSync(splitsPath)) throw new Error(`${splitsPath}: missing (the run's record of its data split)`);
    const recorded = parseSplits(readFileSync(splitsPath, 'utf8'), splitsPath);
    kept = records.filter((r) => recorded.has(r.id)).map((r) => ({ ...r, split: recorded.get(r.id)! }));
    if (kept.length < records.length)
      say(
        `medtrim data: ${records.length - kept.length} samples of ${path} are not in ${splitsPath} (added after the run was made); left out`,
      );
    if (kept.length === 0) throw new Error(`${path}: none of its samples is in ${splitsPath} (a different data set?)`);
  }
  const dataset = createFileDataset(kept, {
    description: `${kind} ${path} (${kept.length} images)`,
    size,
    fit: config.imageFit,
    cacheDir: config.imageCache ? join(dir, DATA_FILES.imageCache) : undefined,
    workers: config.dataWorkers,
    batchSize: Math.max(config.batchSize, 64),
    prefetchBatches: config.prefetchBatches,
    augmentSeed: config.seed,
    skipBadImages: config.skipBadImages,
    entities: entityOf,
    warn: say,
  });
  return { dataset, entityOf };
}
