// Draws the findings of one synthetic case: which classes (with a configurable, realistically skewed
// frequency), and for each its side, zone and grade.
import type { Rng } from '../../util/rng.js';
import type { Side } from './anatomy.js';
import type { Finding, Zone } from './findings.js';

/** Share of all samples with each class present (approximate: a sample may hold several). */
export const defaultClassFrequencies: Readonly<Record<string, number>> = {
  'Pleural Effusion': 0.16,
  Cardiomegaly: 0.13,
  'Lung Opacity': 0.11,
  Atelectasis: 0.11,
  'Support Devices': 0.08,
  Edema: 0.08,
  Consolidation: 0.06,
  Pneumonia: 0.05,
  Pneumothorax: 0.06,
  Nodule: 0.05,
  'Enlarged Cardiomediastinum': 0.04,
  Mass: 0.03,
  Fracture: 0.03,
  'Pleural Thickening': 0.03,
};

export const defaultNormalFraction = 0.35;
const maxFindings = 4;

type Sides = 'one' | 'one-or-both' | 'unstated-or-both' | 'none';
interface ClassSpec {
  grades: (string | null)[];
  kinds: (string | null)[];
  sides: Sides;
  zones: (Zone | null)[] | 'lobe';
}

/** Drawable classes and the descriptors each may carry. */
export const classSpecs: Readonly<Record<string, ClassSpec>> = {
  'Pleural Effusion': { grades: ['small', 'moderate', 'large'], kinds: [null], sides: 'one-or-both', zones: [null] },
  Cardiomegaly: { grades: ['mild', 'moderate', 'severe'], kinds: [null], sides: 'none', zones: [null] },
  'Enlarged Cardiomediastinum': { grades: ['mild', 'moderate'], kinds: [null], sides: 'none', zones: [null] },
  Pneumothorax: { grades: ['small', 'moderate', 'large'], kinds: [null], sides: 'one', zones: [null, null, 'apical'] },
  Consolidation: { grades: [null], kinds: ['patchy', 'focal'], sides: 'one', zones: 'lobe' },
  Pneumonia: { grades: [null], kinds: [null, 'patchy'], sides: 'one', zones: 'lobe' },
  'Lung Opacity': { grades: [null], kinds: ['patchy', 'hazy'], sides: 'one', zones: 'lobe' },
  Atelectasis: { grades: [null, 'mild'], kinds: ['linear', 'streaky', null], sides: 'one-or-both', zones: ['basilar'] },
  Edema: { grades: ['mild', 'moderate', 'severe'], kinds: [null], sides: 'unstated-or-both', zones: [null] },
  Nodule: { grades: ['small', null], kinds: [null], sides: 'one', zones: 'lobe' },
  Mass: { grades: ['large', null], kinds: [null], sides: 'one', zones: 'lobe' },
  'Pleural Thickening': { grades: [null], kinds: [null], sides: 'one-or-both', zones: ['apical'] },
  Fracture: { grades: [null], kinds: ['acute', 'chronic'], sides: 'one', zones: [null] },
  'Support Devices': { grades: [null], kinds: [null], sides: 'one', zones: [null] },
};

const lobes: Record<Side, Zone[]> = { right: ['upper', 'middle', 'lower'], left: ['upper', 'lingula', 'lower'] };

function drawSides(rng: Rng, sides: Sides): Side[] {
  const one: Side = rng.chance(0.5) ? 'left' : 'right';
  switch (sides) {
    case 'one':
      return [one];
    case 'one-or-both':
      return rng.chance(0.3) ? ['left', 'right'] : [one];
    case 'unstated-or-both':
      return rng.chance(0.5) ? ['left', 'right'] : [];
    case 'none':
      return [];
  }
}

function drawFinding(rng: Rng, cls: string): Finding {
  const spec = classSpecs[cls];
  const sides = drawSides(rng, spec.sides);
  let zone = spec.zones === 'lobe' ? rng.pick(lobes[sides[0]]) : rng.pick(spec.zones);
  // Bilateral edema is reported in its typical perihilar distribution.
  if (cls === 'Edema' && sides.length === 2) zone = 'perihilar';
  return { cls, sides, zone, grade: rng.pick(spec.grades), kind: rng.pick(spec.kinds), jitter: rng.next() };
}

/** The findings of one case (empty for a normal study), in a fixed class order. */
export function drawFindings(
  rng: Rng,
  frequencies: Readonly<Record<string, number>>,
  normalFraction: number,
): Finding[] {
  if (rng.chance(normalFraction)) return [];
  const classes = Object.keys(frequencies);
  for (const cls of classes)
    if (!classSpecs[cls])
      throw new Error(`synthetic data: cannot draw class '${cls}' (drawable: ${Object.keys(classSpecs).join(', ')})`);
  const abnormal = Math.max(1e-9, 1 - normalFraction);
  let chosen = classes.filter((cls) => rng.chance(Math.min(0.95, frequencies[cls] / abnormal)));
  if (chosen.length === 0) chosen = [weightedPick(rng, classes, frequencies)];
  if (chosen.length > maxFindings) chosen = rng.shuffle(chosen).slice(0, maxFindings);
  return chosen.sort().map((cls) => drawFinding(rng, cls));
}

function weightedPick(rng: Rng, classes: string[], frequencies: Readonly<Record<string, number>>): string {
  const total = classes.reduce((s, c) => s + frequencies[c], 0);
  if (!(total > 0)) throw new Error('synthetic data: class frequencies must have a positive sum');
  let r = rng.next() * total;
  for (const cls of classes) {
    r -= frequencies[cls];
    if (r < 0) return cls;
  }
  return classes[classes.length - 1];
}
