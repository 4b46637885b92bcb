// Counter-based randomness: every (seed, sample index, stream) triple gets its own generator, so sample
// i can be made alone, in any order, by any worker, and always comes out the same. Streams keep the
// parts of a sample independent: redrawing the findings does not move the anatomy or the pixel noise.

/** murmur3's 32-bit finaliser: a bijective avalanche mix. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hashes integers (each taken mod 2^32) into one well-mixed 32-bit value. */
export function hash32(...values: number[]): number {
  let h = 0x9e3779b9;
  for (const v of values) h = fmix32((h ^ fmix32(v >>> 0)) + 0x7f4a7c15);
  return h;
}

/** A uniform number in [0, 1) from three hashed integers, without a generator (hot path: no rest args). */
export function hashUnit(a: number, b: number, c: number): number {
  const h = fmix32((fmix32((fmix32(a >>> 0) + 0x7f4a7c15) ^ fmix32(b >>> 0)) + 0x7f4a7c15) ^ fmix32(c >>> 0));
  return h / 4294967296;
}

/** Independent random streams of one sample. */
export const Stream = { Anatomy: 1, Findings: 2, Report: 3, Noise: 4, Split: 5, Augment: 6 } as const;

/** sfc32 (small fast counting generator, 128-bit state), seeded by hashing its key. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(...key: number[]) {
    this.a = hash32(...key, 1);
    this.b = hash32(...key, 2);
    this.c = hash32(...key, 3);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Rng.pick: empty list');
    return items[this.int(items.length)];
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** Approximately normal, mean 0 and variance 1 (Irwin–Hall of four uniforms): cheap pixel noise. */
  roughNormal(): number {
    return (this.next() + this.next() + this.next() + this.next() - 2) * 1.7320508;
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }
}
