// What the training/evaluation code hands to writeRunReport. Metric results are the types src/eval
// produces, so a run fills this from evaluateRetrieval, perClassPrecision and zeroShotMetrics directly.
import type { ClassPrecision, RetrievalDirection, RetrievalResults } from '../eval/retrieval.js';
import type { ZeroShotResults } from '../eval/classification.js';
import type { EntitySet } from '../ober/entities.js';

export interface LossPoint {
  step: number;
  loss: number;
  samplesPerSec?: number;
  /** Training-health figures of the logged step by name (src/train/health.ts), drawn when present. */
  health?: Partial<Record<string, number>>;
}

/** An 8-bit grayscale image, row-major, top row first (the layout of the synthetic data's toUint8). */
export interface GrayImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface RetrievedImage {
  image: GrayImage;
  truth: EntitySet;
  score: number;
  /** Coarse relevance to the query (same disease classes). */
  relevant: boolean;
}

export interface RetrievedReport {
  report: string;
  truth: EntitySet;
  score: number;
  relevant: boolean;
}

/** A query report with the images it retrieved, best first. */
export interface TextToImageExample {
  query: { report: string; truth: EntitySet };
  results: RetrievedImage[];
}

/** A query image with the reports it retrieved, best first. */
export interface ImageToTextExample {
  query: { image: GrayImage; truth: EntitySet };
  results: RetrievedReport[];
}

export interface RunReportData {
  title: string;
  /** The GPU adapter the run used, in words. */
  adapter: string;
  /** The run's configuration, shown as JSON. */
  config: Record<string, unknown>;
  /** Training loss per logged step. */
  losses: LossPoint[];
  /** Validation loss, drawn as a second curve when given. */
  validationLosses?: LossPoint[];
  retrieval: RetrievalResults;
  zeroShot?: ZeroShotResults;
  /** Per-class P@10 of one direction. */
  perClass?: { direction: RetrievalDirection; classes: ClassPrecision[] };
  examples?: { textToImage?: TextToImageExample[]; imageToText?: ImageToTextExample[] };
}
