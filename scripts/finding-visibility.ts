// How much of each synthetic finding reaches the pixels at a given image size. For every finding of the built-in
// data set, the case is rendered twice with the same anatomy and the same pixel noise, once with all its findings and
// once without that one; the difference is exactly what the finding adds to the image. Per class and size: the
// pixels it changes by more than twice the case's noise sigma, and its total brightness change (sum of |Δ| in units
// of a full-scale pixel). This is what an image encoder at that size has to find a finding from, whatever it learns.
//
//   npx tsx scripts/finding-visibility.ts [--count 4000] [--sizes 32,64,128,224] [--seed 2024]
//     → bench/results/finding-visibility.md
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { sampleAnatomy } from '../src/data/synthetic/anatomy.js';
import { painterFor } from '../src/data/synthetic/findings.js';
import { renderRadiograph } from '../src/data/synthetic/render.js';
import { defaultClassFrequencies, defaultNormalFraction, drawFindings } from '../src/data/synthetic/sampling.js';
import { Rng, Stream } from '../src/util/rng.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '4000' },
    sizes: { type: 'string', default: '32,64,128,224' },
    seed: { type: 'string', default: '2024' },
    out: { type: 'string', default: 'bench/results/finding-visibility.md' },
  },
});
const count = Number(values.count);
const seed = Number(values.seed);
const sizes = values.sizes.split(',').map(Number);
if (
  !(Number.isInteger(count) && count > 0) ||
  !Number.isInteger(seed) ||
  sizes.some((s) => !(Number.isInteger(s) && s >= 8))
)
  throw new Error('finding-visibility: --count, --seed and --sizes must be positive integers (sizes ≥ 8)');

interface Tally {
  findings: number;
  /** Per size: findings that change no pixel by more than 2σ. */
  invisible: number[];
  /** Per size: pixels changed by more than 2σ, one entry per finding (for the median). */
  pixelsAbove: number[][];
  /** Per size: sum of |Δ| per finding. */
  energy: number[][];
}
const tallies = new Map<string, Tally>();

for (let i = 0; i < count; i++) {
  const anatomy = sampleAnatomy(new Rng(seed, i, Stream.Anatomy));
  const findings = drawFindings(new Rng(seed, i, Stream.Findings), defaultClassFrequencies, defaultNormalFraction);
  if (findings.length === 0) continue;
  const painters = findings.map((f) => painterFor(anatomy, f));
  for (let k = 0; k < findings.length; k++) {
    const cls = findings[k].cls;
    let t = tallies.get(cls);
    if (!t) {
      t = { findings: 0, invisible: sizes.map(() => 0), pixelsAbove: sizes.map(() => []), energy: sizes.map(() => []) };
      tallies.set(cls, t);
    }
    t.findings++;
    const without = painters.filter((_, j) => j !== k);
    sizes.forEach((size, s) => {
      // The same noise stream for both renders: one draw per pixel in the same order, so the noise cancels exactly.
      const a = renderRadiograph(anatomy, painters, size, new Rng(seed, i, Stream.Noise));
      const b = renderRadiograph(anatomy, without, size, new Rng(seed, i, Stream.Noise));
      let above = 0;
      let energy = 0;
      for (let p = 0; p < a.length; p++) {
        const d = Math.abs(a[p] - b[p]);
        energy += d;
        if (d > 2 * anatomy.noiseSigma) above++;
      }
      if (above === 0) t.invisible[s]++;
      t.pixelsAbove[s].push(above);
      t.energy[s].push(energy);
    });
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const rows = [...tallies.entries()].sort(
  (x, y) => median(x[1].pixelsAbove[1] ?? [0]) - median(y[1].pixelsAbove[1] ?? [0]),
);
const lines = [
  `# What each synthetic finding adds to the pixels (seed ${seed}, ${count} cases)`,
  '',
  `\`npx tsx scripts/finding-visibility.ts --count ${count} --sizes ${sizes.join(',')} --seed ${seed}\``,
  '',
  'Each finding is rendered in its case with and without it, same anatomy and pixel noise. "pixels > 2σ": median number',
  "of pixels the finding changes by more than twice the case's noise sigma (σ ∈ [0.008, 0.02] of full scale);",
  '"invisible": share of findings that change no pixel by that much; "Σ|Δ|": median total brightness change in',
  'full-scale pixels. A ViT with 16 px patches sees a 64 px image as 16 tokens.',
  '',
  `| class | findings | ${sizes.map((s) => `pixels > 2σ @${s}`).join(' | ')} | ${sizes.map((s) => `invisible @${s}`).join(' | ')} | ${sizes.map((s) => `Σ|Δ| @${s}`).join(' | ')} |`,
  `| --- | --- | ${sizes.map(() => '---').join(' | ')} | ${sizes.map(() => '---').join(' | ')} | ${sizes.map(() => '---').join(' | ')} |`,
  ...rows.map(
    ([cls, t]) =>
      `| ${cls} | ${t.findings} | ${t.pixelsAbove.map((xs) => median(xs)).join(' | ')} | ${t.invisible.map((n) => `${((100 * n) / t.findings).toFixed(0)}%`).join(' | ')} | ${t.energy.map((xs) => median(xs).toFixed(1)).join(' | ')} |`,
  ),
  '',
];
writeFileSync(values.out, lines.join('\n'));
console.log(lines.join('\n'));
