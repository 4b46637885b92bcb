import { describe, expect, it } from 'vitest';
import type { EntitySet } from '../src/ober/entities.js';
import { encodeBatch, popcount32, scoreMatrixFromEncoding } from '../src/mining/encode.js';
import { medtrimScore, medtrimScoreMatrix } from '../src/mining/score.js';

const g = { disease: 0.85, adjective: 0.1, direction: 0.05 };
const effusion = (adjectives: string[], directions: string[]): EntitySet => ({
  'Pleural Effusion': { adjectives, directions },
});

describe('medtrimScore (float64 reference)', () => {
  it('is 1 for identical sets', () => {
    const a = { ...effusion(['small'], ['left']), Cardiomegaly: { adjectives: ['mild'], directions: [] } };
    expect(medtrimScore(a, a, g)).toBeCloseTo(1, 12);
  });

  it('matches a hand computation with partial overlaps', () => {
    // Da = {PE, Card}, Dr = {PE, Atel}: J = 1/3. PE adj IoU({small},{small,moderate}) = 1/2,
    // dir IoU({left},{right}) = 0. Sums over Da∩Dr = {PE}, divided by |Da| = 2.
    const a = { ...effusion(['small'], ['left']), Cardiomegaly: { adjectives: [], directions: [] } };
    const r = { ...effusion(['moderate', 'small'], ['right']), Atelectasis: { adjectives: [], directions: [] } };
    expect(medtrimScore(a, r, g)).toBeCloseTo(0.85 / 3 + 0.1 * (0.5 / 2) + 0.05 * (0 / 2), 12);
  });

  it('is asymmetric (1/|Da|)', () => {
    const a = effusion([], []);
    const r = { ...effusion([], []), Cardiomegaly: { adjectives: [], directions: [] } };
    expect(medtrimScore(a, r, g)).toBeCloseTo(0.85 / 2 + 0.1 + 0.05, 12);
    expect(medtrimScore(r, a, g)).toBeCloseTo(0.85 / 2 + 0.1 / 2 + 0.05 / 2, 12);
  });

  it('follows the empty-set conventions', () => {
    // Both descriptor sets empty → IoU 1; one empty → 0.
    expect(medtrimScore(effusion([], []), effusion([], []), g)).toBeCloseTo(1, 12);
    expect(medtrimScore(effusion(['small'], []), effusion([], []), g)).toBeCloseTo(0.85 + 0.05, 12);
    // Both disease sets empty → 1 (J = 1, descriptor means take J); anchor empty, sample not → 0.
    expect(medtrimScore({}, {}, g)).toBeCloseTo(1, 12);
    expect(medtrimScore({}, effusion([], []), g)).toBe(0);
    expect(medtrimScore(effusion([], []), {}, g)).toBe(0);
  });
});

function randomEntities(n: number, seed: number): EntitySet[] {
  let s = seed;
  const rand = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const classes = ['Pleural Effusion', 'Cardiomegaly', 'Atelectasis', 'Nodule', 'Edema'];
  const adjectives = ['small', 'large', 'mild', 'moderate', 'patchy', 'chronic'];
  const directions = ['left', 'right', 'bilateral', 'basilar', 'upper'];
  const some = (list: string[]) => list.filter(() => rand() < 0.3).sort();
  return Array.from({ length: n }, () => {
    const e: EntitySet = {};
    for (const c of classes) if (rand() < 0.35) e[c] = { adjectives: some(adjectives), directions: some(directions) };
    return e;
  });
}

describe('encodeBatch / scoreMatrixFromEncoding (f32)', () => {
  it('counts bits', () => {
    expect([0, 1, 0xff, 0xffffffff, 0x80000001].map(popcount32)).toEqual([0, 1, 8, 32, 2]);
  });

  it('sets one disease bit per class and the descriptor bits of that class', () => {
    const enc = encodeBatch([effusion(['small'], ['left']), {}]);
    expect(enc.n).toBe(2);
    expect(popcount32(enc.diseaseBits[0])).toBe(1);
    expect(enc.diseaseBits[1]).toBe(0);
    const c = Math.log2(enc.diseaseBits[0]);
    expect(popcount32(enc.adjBits[c * enc.adjWords])).toBe(1);
    expect(popcount32(enc.dirBits[c * enc.dirWords])).toBe(1);
    expect(enc.adjBits.reduce((s, w) => s + popcount32(w), 0)).toBe(1);
  });

  it('rejects names that are not in the ontology', () => {
    expect(() => encodeBatch([{ Dragons: { adjectives: [], directions: [] } }])).toThrow(/unknown class 'Dragons'/);
    expect(() => encodeBatch([effusion(['huge'], [])])).toThrow(/unknown adjective 'huge'/);
  });

  it('agrees with the float64 set-based reference within 1e-6', () => {
    const samples = [...randomEntities(40, 7), {}, {}];
    const ref = medtrimScoreMatrix(samples, g);
    const f32 = scoreMatrixFromEncoding(encodeBatch(samples), g);
    let worst = 0;
    for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(ref[i] - f32[i]));
    expect(worst).toBeLessThan(1e-6);
    // Two empty samples, in the documented f32 order: f32(f32(f32(.85)·1 + f32(.1)·1) + f32(.05)·1).
    const f = Math.fround;
    expect(f32[40 * 42 + 41]).toBe(f(f(f(0.85) + f(0.1)) + f(0.05)));
  });
});
