// The run report's two charts: the loss curve(s) and precision against R for every retrieval direction
// (coarse solid, fine dashed, one colour per direction).
import { DIRECTIONS, type RetrievalResults } from '../eval/retrieval.js';
import { PALETTE, type Chart, type Series } from './chart.js';
import type { RunReportData } from './types.js';

export function lossChart(data: RunReportData): Chart {
  const series: Series[] = [{ name: 'train', points: data.losses.map((p) => [p.step, p.loss]), color: PALETTE[0]! }];
  if (data.validationLosses?.length) {
    series.push({ name: 'validation', points: data.validationLosses.map((p) => [p.step, p.loss]), color: PALETTE[1]! });
  }
  return { title: 'Training loss', xLabel: 'step', yLabel: 'loss', series };
}

const HEALTH_SERIES: [string, string][] = [
  ['imageCosine', 'image cosine'],
  ['textCosine', 'text cosine'],
  ['validAnchors', 'valid anchors'],
  ['bandNegatives', 'band negatives'],
  ['activeTriplets', 'active hinges'],
];

/**
 * Training health per logged step: mean pairwise cosine of the batch's image and text embeddings (collapse shows
 * as cosines near 1), the share of anchors with a valid triplet, of negatives from the semi-hard score band, and of
 * triplet hinges that are non-zero (stalled mining shows as active → 0). Short names: the legend sits beside it.
 */
export function healthChart(data: RunReportData): Chart | null {
  const series: Series[] = [];
  HEALTH_SERIES.forEach(([key, name], i) => {
    const points = data.losses
      .filter((p) => typeof p.health?.[key] === 'number')
      .map((p) => [p.step, p.health![key]!] as [number, number]);
    if (points.length) series.push({ name, points, color: PALETTE[i % PALETTE.length]! });
  });
  return series.length ? { title: 'Training health', xLabel: 'step', yLabel: 'share / cosine', series } : null;
}

export function precisionChart(results: RetrievalResults): Chart {
  const series: Series[] = [];
  const rValues = new Set<number>();
  DIRECTIONS.forEach((direction, i) => {
    const result = results[direction];
    if (!result) return;
    for (const granularity of ['coarse', 'fine'] as const) {
      const points = Object.entries(result[granularity].precisionAt).map(([r, p]) => [Number(r), p] as const);
      points.forEach(([r]) => rValues.add(r));
      series.push({ name: `${direction} ${granularity}`, points, color: PALETTE[i]!, dashed: granularity === 'fine' });
    }
  });
  return {
    title: 'Retrieval precision',
    xLabel: 'R',
    yLabel: 'P@R',
    series,
    yRange: [0, 1],
    xTicks: [...rValues].sort((a, b) => a - b),
  };
}
