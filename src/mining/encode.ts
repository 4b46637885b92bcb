// Compact encodings of EntitySets for the GPU score kernel, and the f32 CPU twin of that kernel.
//
// Layout: class c has index = its position in the ontology's class list (≤ 32 classes, so a disease set
// is one u32 `diseaseBits[i]`, bit c). Descriptor vocabularies are the ontology's canonical adjectives and
// directions in ontology order; a descriptor set is `adjWords` (resp. `dirWords`) u32 words, bit v of the
// set in word v>>5, bit v&31. Per sample and class: adjBits[(i*numClasses + c)*adjWords + w].
// Today both vocabularies fit one word (22 adjectives, 16 directions), but the layout allows more.
//
// f32 order of operations in scoreMatrixFromEncoding (a WGSL kernel must do exactly this to match bit
// for bit). WGSL division is only accurate to 2.5 ULP, so nothing is divided: every ratio multiplies by
// a reciprocal taken from `reciprocals` (recip[k] = fround(1/k), recip[0] unused), and f32 +, * are
// correctly rounded in WGSL. The kernel must not fuse a*b+c into an FMA.
//   g0,g1,g2 = f32(γ)
//   inter = popcount(Da & Dr); uni = popcount(Da | Dr); na = popcount(Da)
//   J = uni == 0 ? 1 : f32(inter * recip[uni])
//   IoU(x, y) = u == 0 ? 1 : f32(i * recip[u])  with i, u the popcounts of x&y, x|y summed over words
//   adjSum = 0; for each class c ascending with bit c in Da & Dr: adjSum = f32(adjSum + IoU(adj_a[c], adj_r[c]))
//   dirSum likewise; adjMean = na == 0 ? J : f32(adjSum * recip[na]); dirMean likewise
//   S = f32(f32(g0*J) + f32(g1*adjMean)); S = f32(S + f32(g2*dirMean))
// The empty-set conventions are those of score.ts.
import { loadOntology } from '../ober/ontology.js';
import type { EntitySet } from '../ober/entities.js';
import type { Gammas } from './score.js';
import { defaultGammas } from './score.js';

export interface Vocabularies {
  classes: string[];
  adjectives: string[];
  directions: string[];
}

export interface EncodedBatch {
  n: number;
  numClasses: number;
  adjWords: number;
  dirWords: number;
  diseaseBits: Uint32Array;
  adjBits: Uint32Array;
  dirBits: Uint32Array;
}

export function ontologyVocabularies(): Vocabularies {
  const o = loadOntology();
  return {
    classes: o.classes.map((c) => c.name),
    adjectives: Object.keys(o.adjectives),
    directions: Object.keys(o.directions),
  };
}

function indexOf(list: string[], what: string, kind: string): number {
  const i = list.indexOf(what);
  if (i < 0) throw new Error(`encodeBatch: unknown ${kind} '${what}' (not in the ontology)`);
  return i;
}

function setBits(words: Uint32Array, offset: number, values: readonly string[], vocab: string[], kind: string): void {
  for (const v of values) {
    const b = indexOf(vocab, v, kind);
    words[offset + (b >>> 5)] |= 1 << (b & 31);
  }
}

export function encodeBatch(entities: EntitySet[], vocab: Vocabularies = ontologyVocabularies()): EncodedBatch {
  const numClasses = vocab.classes.length;
  if (numClasses > 32) throw new Error(`encodeBatch: ${numClasses} classes do not fit one u32 disease mask`);
  const adjWords = Math.max(1, Math.ceil(vocab.adjectives.length / 32));
  const dirWords = Math.max(1, Math.ceil(vocab.directions.length / 32));
  const n = entities.length;
  const enc: EncodedBatch = {
    n,
    numClasses,
    adjWords,
    dirWords,
    diseaseBits: new Uint32Array(n),
    adjBits: new Uint32Array(n * numClasses * adjWords),
    dirBits: new Uint32Array(n * numClasses * dirWords),
  };
  entities.forEach((set, i) => {
    for (const [cls, d] of Object.entries(set)) {
      const c = indexOf(vocab.classes, cls, 'class');
      enc.diseaseBits[i] = (enc.diseaseBits[i] | (1 << c)) >>> 0;
      setBits(enc.adjBits, (i * numClasses + c) * adjWords, d.adjectives, vocab.adjectives, 'adjective');
      setBits(enc.dirBits, (i * numClasses + c) * dirWords, d.directions, vocab.directions, 'direction');
    }
  });
  return enc;
}

export function popcount32(x: number): number {
  let v = x >>> 0;
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/** recip[k] = f32(1/k) for k = 1..maxCount; recip[0] = 0 (never read). Upload this table to the kernel. */
export function reciprocalTable(maxCount: number): Float32Array {
  const t = new Float32Array(maxCount + 1);
  for (let k = 1; k <= maxCount; k++) t[k] = Math.fround(1 / k);
  return t;
}

function ratio(inter: number, union: number, recip: Float32Array): number {
  return union === 0 ? 1 : Math.fround(inter * recip[union]);
}

function descriptorIoU(bits: Uint32Array, a: number, r: number, words: number, recip: Float32Array): number {
  let inter = 0;
  let union = 0;
  for (let w = 0; w < words; w++) {
    inter += popcount32(bits[a + w] & bits[r + w]);
    union += popcount32(bits[a + w] | bits[r + w]);
  }
  return ratio(inter, union, recip);
}

function pairScore(enc: EncodedBatch, a: number, r: number, g: Float32Array, recip: Float32Array): number {
  const da = enc.diseaseBits[a];
  const dr = enc.diseaseBits[r];
  const shared = (da & dr) >>> 0;
  const jaccard = ratio(popcount32(shared), popcount32(da | dr), recip);
  let adjSum = 0;
  let dirSum = 0;
  for (let c = 0; c < enc.numClasses; c++) {
    if (((shared >>> c) & 1) === 0) continue;
    adjSum = Math.fround(
      adjSum +
        descriptorIoU(
          enc.adjBits,
          (a * enc.numClasses + c) * enc.adjWords,
          (r * enc.numClasses + c) * enc.adjWords,
          enc.adjWords,
          recip,
        ),
    );
    dirSum = Math.fround(
      dirSum +
        descriptorIoU(
          enc.dirBits,
          (a * enc.numClasses + c) * enc.dirWords,
          (r * enc.numClasses + c) * enc.dirWords,
          enc.dirWords,
          recip,
        ),
    );
  }
  const na = popcount32(da);
  const adjMean = na === 0 ? jaccard : Math.fround(adjSum * recip[na]);
  const dirMean = na === 0 ? jaccard : Math.fround(dirSum * recip[na]);
  const s = Math.fround(Math.fround(g[0] * jaccard) + Math.fround(g[1] * adjMean));
  return Math.fround(s + Math.fround(g[2] * dirMean));
}

/** The f32 score matrix, row-major [anchor*n + sample], in the documented order of operations. */
export function scoreMatrixFromEncoding(enc: EncodedBatch, gammas: Gammas = defaultGammas): Float32Array {
  const g = Float32Array.of(gammas.disease, gammas.adjective, gammas.direction);
  const recip = reciprocalTable(32 * Math.max(enc.adjWords, enc.dirWords, 1));
  const out = new Float32Array(enc.n * enc.n);
  for (let a = 0; a < enc.n; a++) for (let r = 0; r < enc.n; r++) out[a * enc.n + r] = pairScore(enc, a, r, g, recip);
  return out;
}
