// Every benchmark suite, in the order `medtrim bench all` runs them.
import type { Suite } from '../types.js';
import { adamwSuite, attentionSuite, layerNormSuite, matmulSuite, softmaxSuite, tripletSuite } from './kernels.js';
import { miningSuite } from './mining.js';
import { trainStepSuite } from './train-step.js';

export const SUITES: readonly Suite[] = [
  matmulSuite,
  attentionSuite,
  layerNormSuite,
  softmaxSuite,
  miningSuite,
  tripletSuite,
  adamwSuite,
  trainStepSuite,
];

/** The suites a name selects: one by name, or all of them for 'all'. */
export function selectSuites(name: string): Suite[] {
  if (name === 'all') return [...SUITES];
  const suite = SUITES.find((s) => s.name === name);
  if (!suite) throw new Error(`unknown suite '${name}' (one of ${SUITES.map((s) => s.name).join(', ')}, all)`);
  return [suite];
}
