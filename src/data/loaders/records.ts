// What every real-data loader produces: image/report records, and the files it had to skip. By default
// a corrupt, missing or unreadable file does not stop loading: it is counted, named in the result and
// reported on one stderr line; a strict SkipLog instead stops at the first one with an error naming it.
import type { SplitName } from '../paired.js';
import { hashUnit, Stream } from '../../util/rng.js';

export interface ImageReportRecord {
  id: string;
  imagePath: string;
  report: string;
  /** From the data set's own split file when it has one. */
  split?: SplitName;
  /** The patient (MIMIC: subject_id), so that a split can keep each patient's images together. */
  patientId?: string;
  studyId?: string;
}

export interface LoaderOptions {
  warn?: (line: string) => void;
  /** Stop at the first unusable row or file with a one-line error naming it, instead of skipping it. */
  strict?: boolean;
}

export interface Skipped {
  file: string;
  reason: string;
}

export interface LoadResult {
  records: ImageReportRecord[];
  skipped: Skipped[];
}

/** Collects skipped files and writes one stderr line for each. */
export class SkipLog {
  readonly skipped: Skipped[] = [];
  constructor(
    private readonly warn: (line: string) => void = (line) => process.stderr.write(line + '\n'),
    private readonly strict = false,
  ) {}

  add(file: string, reason: string): void {
    if (this.strict) throw new Error(`${file}: ${reason}`);
    this.skipped.push({ file, reason });
    this.warn(`medtrim data: skipped ${file}: ${reason}`);
  }
}

export function errorMessage(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}

const splitAliases: Record<string, SplitName> = {
  train: 'train',
  training: 'train',
  validate: 'validation',
  validation: 'validation',
  val: 'validation',
  valid: 'validation',
  test: 'test',
};

/** Maps a split name as data sets write it ("validate", "val") to ours; undefined if unknown. */
export function normaliseSplit(name: string | undefined): SplitName | undefined {
  return name ? splitAliases[name.trim().toLowerCase()] : undefined;
}

/** A deterministic split for records without one, keyed by the patient (src/data/splits.ts) so a patient's images stay together. */
export function hashedSplit(key: string, fractions: [number, number] = [0.8, 0.9]): SplitName {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (Math.imul(h, 31) + key.charCodeAt(i)) | 0;
  const u = hashUnit(h, key.length, Stream.Split);
  return u < fractions[0] ? 'train' : u < fractions[1] ? 'validation' : 'test';
}
