// Training health from one batch: embedding spread (a collapse reads as cosine 1) and the mining
// statistics of the paper's one-triplet-per-anchor mining and of all-triplet mining, on hand-made cases.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../src/train/config.js';
import { trainingHealth } from '../src/train/health.js';

const rows = (...r: number[][]) => Float32Array.from(r.flat());

describe('trainingHealth', () => {
  it('mean pairwise cosine is 1 for collapsed embeddings and −1/(n−1) for a regular simplex', () => {
    const same = rows([1, 0], [1, 0], [1, 0]);
    const h = trainingHealth(
      { n: 3, dim: 2, img: same, txt: rows([1, 0], [-0.5, Math.sqrt(3) / 2], [-0.5, -Math.sqrt(3) / 2]) },
      { ...DEFAULT_CONFIG, objective: 'infonce' },
    );
    expect(h.imageCosine).toBeCloseTo(1, 6);
    expect(h.textCosine).toBeCloseTo(-0.5, 6);
    expect(h.validAnchors).toBeUndefined();
  });

  // Three samples; scores: 0 and 1 alike (0.9), 2 unlike both (0.1 from 0, 0.4 from 1: in the band).
  const scores = rows([1, 0.9, 0.1], [0.9, 1, 0.4], [0.1, 0.4, 1]);
  const img = rows([1, 0], [0, 1], [1, 0]);
  const txt = rows([1, 0], [1, 0], [0, 1]);
  const c = { ...DEFAULT_CONFIG, margin: 0.3, tauMin: 0.25, tauMax: 0.6 };

  it('paper mining: counts the mined triplets, band negatives and non-zero hinges', () => {
    const positives = Int32Array.from([1, 0, -1]);
    const negatives = Int32Array.from([2, 2, -1]);
    const h = trainingHealth({ n: 3, dim: 2, img, txt, scores, positives, negatives }, { ...c, triplets: 'paper' });
    expect(h.validAnchors).toBeCloseTo(2 / 3, 12);
    expect(h.bandNegatives).toBeCloseTo(1 / 2, 12); // anchor 1's negative scores 0.4
    expect(h.positiveScore).toBeCloseTo(0.9, 6);
    expect(h.negativeScore).toBeCloseTo(0.25, 6);
    // Anchor 0 (p 1, q 2): ii sim(0,2)=1 vs sim(0,1)=0 → active; tt sim 0 vs 1 → 0−1+0.3 < 0; it: txt1·img0=1,
    // txt2·img0=0 → inactive; ti: img1·txt0=0, img2·txt0=1 → active. Anchor 1 (p 0, q 2): ii 0−0+0.3 active;
    // tt 0−1+0.3 inactive; it img1·txt2=1 vs img1·txt0=0 active; ti txt1·img2=1 vs txt1·img0=1 → 0.3 active.
    expect(h.activeTriplets).toBeCloseTo(5 / 8, 12);
  });

  it('all-triplet mining enumerates every ordering the score admits', () => {
    const h = trainingHealth({ n: 3, dim: 2, img, txt, scores }, { ...c, triplets: 'all' });
    // Valid (a, p, q): (0, 1, 2) and (1, 0, 2); anchor 2's candidates score 0.1 and 0.4, both below τmax,
    // so (2, 1, 0) is valid too (0.4 > 0.1).
    expect(h.validAnchors).toBe(1);
    expect(h.positiveScore).toBeCloseTo((0.9 + 0.9 + 0.4) / 3, 6);
  });
});
