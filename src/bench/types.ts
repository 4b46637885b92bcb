// What a benchmark suite is made of: cases with a work model (FLOP or bytes per run), our side, and optionally
// a peer (tfjs on the same adapter, or a TypeScript implementation on the host) doing the same work.
import type { Runtime } from '../gpu/runtime.js';
import type { PresetName } from '../models/config.js';

export type Tf = typeof import('@tensorflow/tfjs');

/** tfjs started on our adapter (./tfjs-peer.ts in Node; navigator.gpu in a browser). */
export interface TfPeer {
  tf: Tf;
  /** Submits tfjs's pending commands and resolves when its device has finished them. */
  sync(): Promise<void>;
}

/** A tfjs train step of a preset's encoders (./tfjs-train-step.ts), built by whoever hosts the runner. */
export interface PeerTrainStep {
  /** Records one forward, backward and optimizer update (tfjs tensors it makes are tidied). */
  step(): void;
  dispose(): void;
}
export type PeerTrainStepFactory = (tf: Tf, preset: PresetName, batch: number) => PeerTrainStep;

export type Unit = 'GFLOP/s' | 'GB/s';

/** The peer's half of a case. */
export type PeerRun =
  /** tfjs ops recorded inside tf.tidy; the runner submits and waits. */
  | { kind: 'tfjs'; record(): void }
  /** Work done on the host (CPU), timed by the wall clock. */
  | { kind: 'host'; name: string; run(): void };

/** A case once its inputs exist on the GPU. */
export interface PreparedCase {
  /** Records our work (tensors made inside are disposed after recording; the runner submits and waits). */
  ours(): void;
  peer?: PeerRun;
  /** Largest |ours − peer| over the outputs, when both produce comparable values. */
  maxAbsDiff?(): Promise<number>;
  dispose(): void;
}

export interface BenchCase {
  name: string;
  unit: Unit;
  /** FLOP (GFLOP/s) or bytes (GB/s) of one run. */
  work: number;
  prepare(): Promise<PreparedCase>;
}

export interface SuiteContext {
  rt: Runtime;
  quick: boolean;
  tf: TfPeer | null;
  peerTrainStep: PeerTrainStepFactory | null;
}

export interface Suite {
  name: string;
  /** What the suite measures and its FLOP/byte model, one sentence per kernel. */
  model: string;
  cases(ctx: SuiteContext): BenchCase[];
}
