// Findings of a synthetic case: what is drawn (class, side, zone, grade) and how each one changes the
// anatomy or the pixels. The descriptors a report states are derived from the same record, so the
// image, the report and the ground truth cannot disagree.
import { hashUnit } from '../../util/rng.js';
import { type Anatomy, type Side, lungLateralEdge, lungPoint, sideSign } from './anatomy.js';

/** Lung zone or region a finding lies in; each is also a canonical direction of the ontology. */
export type Zone = 'upper' | 'middle' | 'lower' | 'lingula' | 'basilar' | 'apical' | 'perihilar';

export interface Finding {
  /** Ontology class name. */
  cls: string;
  /** Patient sides involved; two sides are reported as "bilateral". */
  sides: Side[];
  zone: Zone | null;
  /** Canonical severity or size adjective (mild, small, large…), drawn and stated. */
  grade: string | null;
  /** Canonical shape or chronicity adjective (patchy, linear, acute…), drawn and stated. */
  kind: string | null;
  /** Per-finding randomness for placement and texture, in [0, 1). */
  jitter: number;
}

/** Canonical adjectives of a finding, sorted. */
export function findingAdjectives(f: Finding): string[] {
  return [f.grade, f.kind].filter((a): a is string => a !== null).sort();
}

/** Canonical directions of a finding, sorted. */
export function findingDirections(f: Finding): string[] {
  // The lingula is only in the left lung, so reports name it without a side.
  if (f.zone === 'lingula') return ['lingula'];
  const dirs: string[] = f.sides.length === 2 ? ['bilateral'] : [...f.sides];
  if (f.zone) dirs.push(f.zone);
  return dirs.sort();
}

/** What one pixel looks like while findings are painted; anatomy coordinates. */
export interface PixelState {
  x: number;
  y: number;
  side: Side;
  /** |x| as a fraction of the hemithorax half width (0 midline, 1 lateral chest wall). */
  lateral: number;
  /** Vertical position within the lung, 0 at the apex and 1 at the diaphragm. */
  v: number;
  /** Height of the hemidiaphragm below this point. */
  diaphragm: number;
  /** Anatomy units per output pixel, so thin structures stay at least a pixel wide. */
  pixel: number;
  /** Fraction of lung air replaced by fluid or tissue. */
  fill: number;
  /** Density added regardless of air (fluid, bone, devices). */
  density: number;
  /** Multiplier of the vascular lung markings. */
  markings: number;
  /** Air added (pneumothorax). */
  extraAir: number;
}

export interface Painter {
  /** Changes anatomy geometry (heart size, mediastinum, ribs) before the pixels are drawn. */
  adjust?(a: Anatomy): void;
  shade?(p: PixelState): void;
}

const gradeLevel: Record<string, number> = {
  minimal: 0.15,
  mild: 0.33,
  small: 0.33,
  moderate: 0.6,
  severe: 1,
  large: 1,
};

function level(f: Finding, fallback = 0.5): number {
  return f.grade ? (gradeLevel[f.grade] ?? fallback) : fallback;
}

function smoothstep(e0: number, e1: number, x: number): number {
  const t = Math.min(1, Math.max(0, (x - e0) / (e1 - e0)));
  return t * t * (3 - 2 * t);
}

/** Smooth value noise from hashed lattice values (resolution independent, no table). */
function valueNoise(x: number, y: number, key: number): number {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  const sx = fx * fx * (3 - 2 * fx);
  const sy = fy * fy * (3 - 2 * fy);
  const n00 = hashUnit(x0, y0, key);
  const n10 = hashUnit(x0 + 1, y0, key);
  const n01 = hashUnit(x0, y0 + 1, key);
  const n11 = hashUnit(x0 + 1, y0 + 1, key);
  return (n00 + (n10 - n00) * sx) * (1 - sy) + (n01 + (n11 - n01) * sx) * sy;
}

const zoneCentre: Record<Zone, { v: number; lateral: number }> = {
  apical: { v: 0.1, lateral: 0.45 },
  upper: { v: 0.3, lateral: 0.55 },
  perihilar: { v: 0.5, lateral: 0.35 },
  middle: { v: 0.58, lateral: 0.55 },
  lingula: { v: 0.6, lateral: 0.42 },
  lower: { v: 0.8, lateral: 0.6 },
  basilar: { v: 0.9, lateral: 0.55 },
};

/** A round or patchy density centred in a zone: opacity, consolidation, pneumonia, nodule, mass. */
function blobPainter(a: Anatomy, f: Finding, radius: number, strength: number, patchiness: number): Painter {
  const side = f.sides[0];
  const c = zoneCentre[f.zone ?? 'middle'];
  const centre = lungPoint(a, side, c.v + (f.jitter - 0.5) * 0.1, c.lateral + (f.jitter - 0.5) * 0.12);
  const key = Math.floor(f.jitter * 1e6);
  return {
    shade(p) {
      const d2 = ((p.x - centre.x) ** 2 + ((p.y - centre.y) * 0.85) ** 2) / (radius * radius);
      if (d2 > 4) return;
      let w = patchiness > 0 ? Math.exp(-d2 * 0.7) : smoothstep(1.15, 0.85, Math.sqrt(d2));
      if (patchiness > 0) w *= 1 - patchiness + patchiness * 1.6 * valueNoise(p.x * 14, p.y * 14, key);
      p.fill = Math.max(p.fill, Math.min(1, strength * w));
    },
  };
}

function effusionPainter(a: Anatomy, f: Finding): Painter {
  const heightFraction = 0.06 + 0.3 * level(f);
  return {
    shade(p) {
      if (!f.sides.includes(p.side) || p.lateral < 0.12 || p.lateral > 1.06) return;
      const lungHeight = a.angleY[p.side] - a.apexY;
      // Meniscus: the fluid climbs higher along the lateral chest wall.
      const top = a.angleY[p.side] - lungHeight * heightFraction * (0.55 + 0.6 * p.lateral * p.lateral);
      const w = smoothstep(top - 0.02, top + 0.04, p.y);
      p.fill = Math.max(p.fill, w);
      p.density += 0.12 * w;
    },
  };
}

function pneumothoraxPainter(f: Finding): Painter {
  const collapse = 0.08 + 0.3 * level(f);
  return {
    shade(p) {
      if (!f.sides.includes(p.side) || p.v < 0 || p.v > 0.92) return;
      const wall = lungLateralEdge(p.v);
      // The gap between lung edge and chest wall is widest at the apex, as air rises.
      const edge = wall - collapse * (1.25 - 0.7 * p.v);
      const lineWidth = Math.max(0.006, 0.7 * p.pixel);
      if (p.lateral > edge && p.lateral < wall + 0.02) {
        p.markings = 0;
        p.extraAir += 0.2;
      }
      const dist = (p.lateral - edge) * 0.8;
      p.density += 0.12 * Math.exp(-((dist / lineWidth) ** 2));
    },
  };
}

function atelectasisPainter(a: Anatomy, f: Finding): Painter {
  const thickness = 0.018 + 0.02 * level(f, 0.3);
  const tilt = (f.jitter - 0.5) * 0.3;
  return {
    shade(p) {
      if (!f.sides.includes(p.side)) return;
      const centre = lungPoint(a, p.side, 0.84, 0.55);
      const along = (p.x - centre.x) * sideSign(p.side);
      if (Math.abs(along) > 0.22) return;
      const across = p.y - centre.y - tilt * along;
      const band = Math.exp(-((across / Math.max(thickness, p.pixel)) ** 2)) * smoothstep(0.22, 0.14, Math.abs(along));
      p.fill = Math.max(p.fill, 0.9 * band);
    },
  };
}

function edemaPainter(a: Anatomy, f: Finding): Painter {
  const strength = 0.3 + 0.45 * level(f);
  return {
    shade(p) {
      const hilum = lungPoint(a, p.side, 0.5, 0.3);
      const d2 = ((p.x - hilum.x) / 0.32) ** 2 + ((p.y - hilum.y) / 0.42) ** 2;
      p.fill = Math.max(p.fill, strength * Math.exp(-d2));
      p.markings *= 1 + 0.8 * level(f);
    },
  };
}

function pleuralThickeningPainter(f: Finding): Painter {
  return {
    shade(p) {
      if (!f.sides.includes(p.side) || p.v > 0.3) return;
      const cap = smoothstep(0.14, 0.05, p.v) * smoothstep(0.05, 0.2, p.lateral);
      p.fill = Math.max(p.fill, 0.8 * cap);
    },
  };
}

function fracturePainter(f: Finding): Painter {
  return {
    adjust(a) {
      a.ribGaps.push({
        side: f.sides[0],
        rib: 4 + Math.floor(f.jitter * 4),
        at: 0.7 + 0.2 * f.jitter,
        step: f.kind === 'acute' ? 0.02 : 0,
      });
    },
  };
}

function devicesPainter(f: Finding): Painter {
  const s = sideSign(f.sides[0] ?? 'right');
  return {
    shade(p) {
      const w = Math.max(0.008, 0.6 * p.pixel);
      // Endotracheal tube down the midline, tip above the carina.
      if (p.y < -0.3) p.density += 0.3 * Math.exp(-(((p.x - 0.01) / w) ** 2));
      // Jugular central venous catheter curving from the neck into the superior vena cava.
      if (p.y > -1 && p.y < -0.15) {
        const t = (p.y + 1) / 0.85;
        const lineX = s * (0.34 - 0.28 * Math.sin((t * Math.PI) / 2));
        p.density += 0.3 * Math.exp(-(((p.x - lineX) / w) ** 2));
      }
    },
  };
}

/** Builds the painter that draws a finding on a given anatomy. */
export function painterFor(a: Anatomy, f: Finding): Painter {
  switch (f.cls) {
    case 'Pleural Effusion':
      return effusionPainter(a, f);
    case 'Pneumothorax':
      return pneumothoraxPainter(f);
    case 'Cardiomegaly':
      return {
        adjust: (an) => {
          an.cardiothoracicRatio = 0.48 + 0.2 * level(f) + 0.02 * f.jitter;
        },
      };
    case 'Enlarged Cardiomediastinum':
      return {
        adjust: (an) => {
          an.mediastinumHalfWidth *= 1.45 + 0.6 * level(f);
        },
      };
    case 'Consolidation':
    case 'Pneumonia':
      return blobPainter(a, f, 0.13 + 0.05 * f.jitter, 0.95, f.kind === 'patchy' ? 0.6 : 0.25);
    case 'Lung Opacity':
      return blobPainter(a, f, 0.14 + 0.05 * f.jitter, f.kind === 'hazy' ? 0.55 : 0.75, f.kind === 'hazy' ? 0 : 0.6);
    case 'Atelectasis':
      return atelectasisPainter(a, f);
    case 'Edema':
      return edemaPainter(a, f);
    case 'Nodule':
      return blobPainter(a, f, 0.035 + 0.015 * f.jitter, 1, 0);
    case 'Mass':
      return blobPainter(a, f, 0.08 + 0.05 * level(f) + 0.02 * f.jitter, 1, 0);
    case 'Pleural Thickening':
      return pleuralThickeningPainter(f);
    case 'Fracture':
      return fracturePainter(f);
    case 'Support Devices':
      return devicesPainter(f);
    default:
      throw new Error(`synthetic data: no painter for class ${f.cls}`);
  }
}
