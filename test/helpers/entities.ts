import { ontologyVocabularies } from '../../src/mining/encode.js';
import type { EntitySet } from '../../src/ober/entities.js';
import { randomData } from './random.js';

/** Random entity sets drawn from few classes and descriptors, so overlaps and ties are common. */
export function randomEntities(n: number, seed: number): EntitySet[] {
  const vocab = ontologyVocabularies();
  const u = randomData(n * 40, seed, 0, 1);
  let k = 0;
  const pickSome = (list: string[], max: number, limit: number) => {
    const out = new Set<string>();
    const count = Math.floor(u[k++]! * (max + 1));
    for (let i = 0; i < count; i++) out.add(list[Math.floor(u[k++]! * Math.min(limit, list.length))]!);
    return [...out].sort();
  };
  return Array.from({ length: n }, () => {
    const set: EntitySet = {};
    for (const cls of pickSome(vocab.classes, 3, 6))
      set[cls] = { adjectives: pickSome(vocab.adjectives, 2, 5), directions: pickSome(vocab.directions, 2, 5) };
    return set;
  });
}
