// Retrieval metrics from ranked top-k lists and per-item ground truth (MedTrim evaluation).
//
// Items come in pairs: image i and report i share truth[i], so relevance depends only on the two items'
// truth, whatever the direction (image→text, text→image, image→image, text→text).
//   coarse relevance: the same set of positive disease classes (equal key sets of the EntitySets);
//   fine relevance:   the same classes and, per class, the same directions and the same severity/size
//                     adjectives (groups 'severity' and 'size' of the ontology; shape, extent and chronicity
//                     are ignored).
// Conventions (tested in test/eval-retrieval.test.ts):
//   - Same-modality retrieval leaves the query itself out of its candidates (a ranking containing it is an
//     error); cross-modality keeps the query's own pair, which is always relevant.
//   - P@R = (relevant among the first R ranked) / R, always divided by R, as trec_eval does: slots past the
//     end of the candidate list (index -1) count as not relevant, so P@50 over 30 candidates is at most 0.6.
//   - A query with no relevant candidate at all (its label occurs nowhere else among the candidates) cannot
//     score above 0 whatever the model does; it is left out of every mean and counted in
//     queriesWithoutRelevant. Fine labels are much sparser than coarse ones, so counting such queries as 0
//     would mix label sparsity into the comparison. A mean over no queries is NaN. The price: coarse and
//     fine average over different query sets (the `queries` counts say which), so fine P@R can exceed coarse.
//   - mAP@k: per query AP = Σ_{i≤k} P@i·rel(i) / min(|relevant|, k), |relevant| counted over all candidates.
//   - Chance: the expected P@R and mAP@k of a uniformly random ranking of the same candidates, averaged over
//     the same queries (exact expectations: P@R = |relevant|/N; E[AP@k] = Σ_{i≤k} (|rel|/N)·(1 + (i−1)(|rel|−1)/(N−1))/i
//     / min(|rel|, k), from E[rel(i)·hits(i)] over random permutations of N candidates).
//   - Hubness: distinctTop1 counts the different items ranked first over all queries; a model whose image
//     embeddings collapsed returns the same top-1 for every query.
//   - Per-class precision: P@10 (coarse) averaged over the queries whose truth contains that class; a
//     query with several classes counts for each.
import type { EntitySet } from '../ober/entities.js';
import { loadOntology } from '../ober/ontology.js';

export const R_VALUES = [1, 10, 20, 50] as const;
export type RetrievalDirection = 'image→text' | 'text→image' | 'image→image' | 'text→text';
export const DIRECTIONS: readonly RetrievalDirection[] = ['image→text', 'text→image', 'image→image', 'text→text'];
export const PER_CLASS_R = 10;

/** Ranked candidate lists, row-major [queries, k]; -1 marks an empty slot (fewer than k candidates). */
export interface Ranking {
  k: number;
  indices: Int32Array;
}

export interface PrecisionSummary {
  /** R → mean P@R over the queries that have at least one relevant candidate. */
  precisionAt: Record<number, number>;
  /** Mean average precision over the top k. */
  map: number;
  /** Queries averaged. */
  queries: number;
  /** Queries left out because no candidate is relevant to them. */
  queriesWithoutRelevant: number;
  /** The same figures for a uniformly random ranking (expected values). */
  chance: { precisionAt: Record<number, number>; map: number };
}

export interface DirectionResult {
  coarse: PrecisionSummary;
  fine: PrecisionSummary;
  /** Different items ranked first over all queries (of `queries`). */
  distinctTop1: number;
  queries: number;
}

export type RetrievalResults = Partial<Record<RetrievalDirection, DirectionResult>>;

export interface ClassPrecision {
  className: string;
  /** Queries (with at least one relevant candidate) whose truth contains the class. */
  queries: number;
  precision: number;
}

/** Canonical string of the disease classes: items are coarse-relevant when these are equal. */
export function coarseLabel(truth: EntitySet): string {
  return JSON.stringify(Object.keys(truth).sort());
}

const fineGroups = new Set(['severity', 'size']);

function severityAdjectives(adjectives: readonly string[]): string[] {
  const known = loadOntology().adjectives;
  return adjectives
    .filter((a) => {
      const entry = known[a];
      if (!entry) throw new Error(`retrieval: adjective '${a}' is not in the ontology (ontology/descriptors.json)`);
      return fineGroups.has(entry.group);
    })
    .sort();
}

/** Canonical string of classes + directions + severity/size adjectives: items are fine-relevant when equal. */
export function fineLabel(truth: EntitySet): string {
  const parts = Object.keys(truth)
    .sort()
    .map((cls) => [cls, [...truth[cls]!.directions].sort(), severityAdjectives(truth[cls]!.adjectives)]);
  return JSON.stringify(parts);
}

function countLabels(labels: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  return counts;
}

function checkRanking(ranking: Ranking, items: number, sameModality: boolean, rValues: readonly number[]): number {
  const queries = ranking.indices.length / ranking.k;
  if (!Number.isInteger(queries) || queries !== items) {
    throw new Error(
      `retrieval: ranking has ${ranking.indices.length} entries, expected ${items} queries × k = ${ranking.k}`,
    );
  }
  const maxR = Math.max(...rValues);
  if (ranking.k < maxR)
    throw new Error(`retrieval: ranking keeps k = ${ranking.k} per query, P@${maxR} needs k ≥ ${maxR}`);
  for (let q = 0; q < queries; q++) {
    for (let s = 0; s < ranking.k; s++) {
      const j = ranking.indices[q * ranking.k + s]!;
      if (j >= items) throw new Error(`retrieval: query ${q} ranks candidate ${j}, but there are only ${items} items`);
      if (sameModality && j === q)
        throw new Error(`retrieval: same-modality query ${q} ranks itself (exclude the diagonal)`);
    }
  }
  return queries;
}

/** Per-query relevance flags of the ranked slots and the total number of relevant candidates. */
interface QueryRelevance {
  flags: boolean[];
  relevantTotal: number;
}

function queryRelevance(ranking: Ranking, labels: readonly string[], sameModality: boolean): QueryRelevance[] {
  const counts = countLabels(labels);
  return labels.map((label, q) => {
    const row = ranking.indices.subarray(q * ranking.k, (q + 1) * ranking.k);
    const flags = Array.from(row, (j) => j >= 0 && labels[j] === label);
    return { flags, relevantTotal: counts.get(label)! - (sameModality ? 1 : 0) };
  });
}

function precisionAt(flags: readonly boolean[], r: number): number {
  let hits = 0;
  for (let i = 0; i < r; i++) if (flags[i]) hits++;
  return hits / r;
}

function averagePrecision({ flags, relevantTotal }: QueryRelevance): number {
  let hits = 0;
  let sum = 0;
  flags.forEach((rel, i) => {
    if (!rel) return;
    hits++;
    sum += hits / (i + 1);
  });
  return sum / Math.min(relevantTotal, flags.length);
}

function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

/** Expected AP@k of a random ranking of n candidates of which `relevant` are relevant. */
export function chanceAveragePrecision(relevant: number, n: number, k: number): number {
  const depth = Math.min(k, n);
  let sum = 0;
  for (let i = 1; i <= depth; i++) sum += ((relevant / n) * (1 + ((i - 1) * (relevant - 1)) / Math.max(1, n - 1))) / i;
  return sum / Math.min(relevant, k);
}

function summarise(relevance: QueryRelevance[], rValues: readonly number[], candidates: number): PrecisionSummary {
  const counted = relevance.filter((r) => r.relevantTotal > 0);
  const precision: Record<number, number> = {};
  const chancePrecision: Record<number, number> = {};
  for (const r of rValues) {
    precision[r] = mean(counted.map((q) => precisionAt(q.flags, r)));
    // Slots past the candidate list count as misses (see P@R above), so chance is Σ over min(r, N) slots / r.
    chancePrecision[r] = mean(counted.map((q) => (q.relevantTotal / candidates) * (Math.min(r, candidates) / r)));
  }
  return {
    precisionAt: precision,
    map: mean(counted.map(averagePrecision)),
    queries: counted.length,
    queriesWithoutRelevant: relevance.length - counted.length,
    chance: {
      precisionAt: chancePrecision,
      map: mean(counted.map((q) => chanceAveragePrecision(q.relevantTotal, candidates, q.flags.length))),
    },
  };
}

function distinctTop1(ranking: Ranking): number {
  const first = new Set<number>();
  for (let q = 0; q < ranking.indices.length / ranking.k; q++)
    if (ranking.indices[q * ranking.k]! >= 0) first.add(ranking.indices[q * ranking.k]!);
  return first.size;
}

export interface RetrievalOptions {
  /** Image→image or text→text: the query item is not a candidate. */
  sameModality: boolean;
  rValues?: readonly number[];
}

/** Coarse and fine P@R and mAP of one retrieval direction. */
export function retrievalMetrics(
  ranking: Ranking,
  truth: readonly EntitySet[],
  options: RetrievalOptions,
): DirectionResult {
  const rValues = options.rValues ?? R_VALUES;
  const queries = checkRanking(ranking, truth.length, options.sameModality, rValues);
  const candidates = truth.length - (options.sameModality ? 1 : 0);
  const summary = (label: (t: EntitySet) => string) =>
    summarise(queryRelevance(ranking, truth.map(label), options.sameModality), rValues, candidates);
  return { coarse: summary(coarseLabel), fine: summary(fineLabel), distinctTop1: distinctTop1(ranking), queries };
}

export function isSameModality(direction: RetrievalDirection): boolean {
  return direction === 'image→image' || direction === 'text→text';
}

/** Metrics of every direction given (rankings come from retrieveTopk with excludeSelf for same-modality). */
export function evaluateRetrieval(
  rankings: Partial<Record<RetrievalDirection, Ranking>>,
  truth: readonly EntitySet[],
  rValues: readonly number[] = R_VALUES,
): RetrievalResults {
  const results: RetrievalResults = {};
  for (const direction of DIRECTIONS) {
    const ranking = rankings[direction];
    if (ranking)
      results[direction] = retrievalMetrics(ranking, truth, { sameModality: isSameModality(direction), rValues });
  }
  return results;
}

/** Coarse P@R per disease class (see the file comment), most frequent class first. */
export function perClassPrecision(
  ranking: Ranking,
  truth: readonly EntitySet[],
  sameModality: boolean,
  r: number = PER_CLASS_R,
): ClassPrecision[] {
  checkRanking(ranking, truth.length, sameModality, [r]);
  const relevance = queryRelevance(ranking, truth.map(coarseLabel), sameModality);
  const byClass = new Map<string, number[]>();
  relevance.forEach((rel, q) => {
    if (rel.relevantTotal === 0) return;
    for (const cls of Object.keys(truth[q]!)) {
      const list = byClass.get(cls) ?? [];
      list.push(precisionAt(rel.flags, r));
      byClass.set(cls, list);
    }
  });
  return [...byClass]
    .map(([className, ps]) => ({ className, queries: ps.length, precision: mean(ps) }))
    .sort((a, b) => b.queries - a.queries || a.className.localeCompare(b.className));
}
