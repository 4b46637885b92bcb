// Renders a frontal chest radiograph from an anatomy and its finding painters. Every pixel centre is
// mapped through a gl-matrix affine transform (patient rotation, scale, shift) into anatomy
// coordinates and the projected density there is turned into brightness: bone, fluid and soft tissue
// are bright, air is dark, as on a real radiograph. Geometry lives in anatomy units, so the same case
// looks the same at 32 px and at 224 px.
import { mat3 } from 'gl-matrix';
import type { Rng } from '../../util/rng.js';
import {
  type Anatomy,
  type Side,
  diaphragmY,
  heartRadii,
  lungLateralEdge,
  lungTopY,
  vesselGridSize,
} from './anatomy.js';
import type { Painter, PixelState } from './findings.js';

function smoothstep(e0: number, e1: number, x: number): number {
  const t = Math.min(1, Math.max(0, (x - e0) / (e1 - e0)));
  return t * t * (3 - 2 * t);
}

/** Pixel index → anatomy coordinates: undo the patient pose (rotation about the centre, scale, shift). */
export function pixelToAnatomy(a: Anatomy, size: number): mat3 {
  const m = mat3.create();
  mat3.scale(m, m, [1 / a.scale, 1 / a.scale]);
  mat3.rotate(m, m, (-a.rotationDeg * Math.PI) / 180);
  mat3.translate(m, m, [-a.shiftX, -a.shiftY]);
  mat3.translate(m, m, [-1 + 1 / size, -1 + 1 / size]);
  mat3.scale(m, m, [2 / size, 2 / size]);
  return m;
}

/**
 * Lung vessel markings: streaks radiating from the hilum, sampled from a coarse random grid in
 * (angle, distance) about the hilum, so they branch outwards and thin towards the periphery.
 */
function vesselTexture(a: Anatomy, p: PixelState): number {
  const hx = (p.side === 'right' ? -1 : 1) * 0.25 * a.thoraxHalfWidth;
  const dx = p.x - hx;
  const dy = p.y - 0.0;
  const r = Math.sqrt(dx * dx + dy * dy);
  const n = vesselGridSize - 1;
  const gx = ((Math.atan2(dy, dx) / Math.PI + 1) / 2) * n;
  const gy = Math.min(n - 1e-6, r * 6);
  const x0 = Math.floor(gx) % n;
  const y0 = Math.floor(gy);
  const fx = gx - Math.floor(gx);
  const fy = gy - y0;
  const g = a.vesselGrid;
  const i = y0 * vesselGridSize + x0;
  const v =
    (g[i] * (1 - fx) + g[i + 1] * fx) * (1 - fy) +
    (g[i + vesselGridSize] * (1 - fx) + g[i + vesselGridSize + 1] * fx) * fy;
  // A ridge of the noise (where it crosses one half) reads as a vessel rather than a blob.
  return Math.max(0, 1 - Math.abs(2 * v - 1) * 4) / (0.6 + 2 * r);
}

function bodyDensity(x: number, y: number): number {
  const ax = Math.abs(x);
  const shoulderLine = ax < 0.26 ? -1.3 : -0.98 + 0.45 * (ax - 0.26) ** 2;
  const inside = smoothstep(shoulderLine - 0.03, shoulderLine + 0.05, y) * smoothstep(1.0, 0.93, ax);
  return inside * (0.42 + 0.12 * Math.sqrt(Math.max(0, 1 - ax * ax)));
}

function mediastinumHalfWidth(a: Anatomy, y: number): number {
  // Aortic knob: a bulge on the patient's left (image right) above the heart.
  return a.mediastinumHalfWidth + 0.05 * Math.exp(-(((y + 0.3) / 0.08) ** 2));
}

function ribDensity(a: Anatomy, side: Side, lateral: number, y: number, pixel: number): number {
  if (lateral > 1.08 || lateral < 0.1) return 0;
  const y0 = a.apexY - 0.1 + a.ribPhase * a.ribSpacing;
  // Posterior ribs rise slightly from the spine, then arch down towards the lateral chest wall.
  const u = (y + 0.1 * lateral - 0.32 * lateral * lateral - y0) / a.ribSpacing;
  const rib = Math.floor(u);
  if (rib < 0 || rib > 9) return 0;
  const gap = a.ribGaps.length > 0 ? a.ribGaps.find((g) => g.side === side && g.rib === rib) : undefined;
  let f = u - rib;
  if (gap) {
    if (Math.abs(lateral - gap.at) < Math.max(0.025, pixel)) return 0;
    if (lateral > gap.at) f -= gap.step / a.ribSpacing;
  }
  const thickness = 0.4;
  if (f < 0 || f > thickness) return 0;
  const t = f / thickness;
  // Cortical bone makes the rib margins brighter than its middle.
  return 0.07 + 0.05 * (1 - Math.sin(Math.PI * t));
}

function clavicleDensity(x: number, y: number): number {
  const ax = Math.abs(x);
  if (ax < 0.08 || ax > 0.75 || y > -0.5) return 0;
  const line = -0.72 - 0.18 * (ax - 0.08);
  return 0.14 * Math.exp(-(((y - line) / 0.03) ** 2));
}

function spineDensity(x: number, y: number): number {
  const w = smoothstep(0.075, 0.055, Math.abs(x));
  if (w === 0) return 0;
  const disc = Math.cos((y * 2 * Math.PI) / 0.12) > 0.8 ? 0.7 : 1;
  return 0.06 * w * disc;
}

/** The trachea: an air column down the midline to the carina. */
function tracheaAir(x: number, y: number): number {
  if (y > -0.25) return 0;
  return smoothstep(0.045, 0.03, Math.abs(x)) * smoothstep(-0.25, -0.32, y);
}

/** Fraction of a hemithorax that is aerated lung at a point (0 outside), before findings. */
function lungAir(a: Anatomy, p: PixelState, mediastinum: number, heart: number): number {
  const diaphragm = p.diaphragm;
  if (p.v <= 0 || p.y >= diaphragm + 0.03 || p.lateral > 1.05) return 0;
  const edge = 0.025;
  const lateralEdge = (lungLateralEdge(p.v) - p.lateral) * a.thoraxHalfWidth;
  const air =
    smoothstep(0, edge, lateralEdge) *
    smoothstep(0, edge, p.y - lungTopY(a, p.lateral)) *
    smoothstep(0, edge, diaphragm - p.y);
  return air * (1 - mediastinum) * (1 - heart) * (0.85 + 0.15 * Math.sin(Math.PI * Math.min(1, p.lateral)));
}

function heartMask(a: Anatomy, x: number, y: number): number {
  const { rx, ry } = heartRadii(a);
  const dx = (x - a.heartCenterX) / rx;
  const dy = (y - a.heartCenterY) / ry;
  const r2 = dx * dx + dy * dy;
  if (r2 > 1.1) return 0;
  return smoothstep(1.04, 0.96, Math.sqrt(r2));
}

/** Renders one radiograph of size×size pixels, brightness in [0, 1]. */
export function renderRadiograph(anatomy: Anatomy, painters: Painter[], size: number, noise: Rng): Float32Array {
  const a: Anatomy = { ...anatomy, angleY: { ...anatomy.angleY }, ribGaps: [...anatomy.ribGaps] };
  for (const painter of painters) painter.adjust?.(a);
  const shaders = painters.filter((p) => p.shade);
  const m = pixelToAnatomy(a, size);
  const pixel = 2 / size / a.scale;
  const out = new Float32Array(size * size);
  const p: PixelState = {
    x: 0,
    y: 0,
    side: 'right',
    lateral: 0,
    v: 0,
    diaphragm: 0,
    pixel,
    fill: 0,
    density: 0,
    markings: 1,
    extraAir: 0,
  };
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      p.x = m[0] * col + m[3] * row + m[6];
      p.y = m[1] * col + m[4] * row + m[7];
      p.side = p.x < 0 ? 'right' : 'left';
      p.lateral = Math.abs(p.x) / a.thoraxHalfWidth;
      p.diaphragm = diaphragmY(a, p.side, Math.min(p.lateral, 1));
      p.v = (p.y - a.apexY) / (p.diaphragm - a.apexY);
      p.fill = 0;
      p.density = 0;
      p.markings = 1;
      p.extraAir = 0;
      for (const s of shaders) s.shade!(p);
      out[row * size + col] = pixelBrightness(a, p, noise);
    }
  }
  return out;
}

function pixelBrightness(a: Anatomy, p: PixelState, noise: Rng): number {
  const { x, y } = p;
  const mediastinumMask =
    Math.abs(x) > 0.4
      ? 0
      : smoothstep(0.015, -0.015, Math.abs(x - 0.01) - mediastinumHalfWidth(a, y)) *
        smoothstep(a.heartCenterY + 0.1, a.heartCenterY - 0.1, y);
  const heart = heartMask(a, x, y);
  const air = lungAir(a, p, mediastinumMask, heart);
  const aerated = air * (1 - Math.min(1, p.fill));
  const belowDiaphragm = smoothstep(-0.02, 0.02, y - p.diaphragm) * smoothstep(1.1, 1.0, p.lateral);
  const gastricBubble =
    p.side === 'left' ? Math.exp(-(((p.lateral - 0.4) / 0.12) ** 2 + ((y - a.angleY.left - 0.09) / 0.05) ** 2)) : 0;
  let density =
    bodyDensity(x, y) -
    0.38 * aerated -
    0.5 * p.extraAir * air -
    0.15 * tracheaAir(x, y) +
    0.3 * Math.max(mediastinumMask, heart) +
    0.12 * belowDiaphragm -
    0.12 * gastricBubble * belowDiaphragm +
    ribDensity(a, p.side, p.lateral, y, p.pixel) +
    clavicleDensity(x, y) +
    spineDensity(x, y) +
    (aerated > 0 ? 0.12 * p.markings * vesselTexture(a, p) * aerated : 0) +
    0.22 * air * Math.min(1, p.fill) +
    p.density;
  density = Math.max(0, density);
  const brightness =
    (1 - Math.exp(-2.2 * density) - 0.5) * a.contrast + 0.5 + a.exposure + a.noiseSigma * noise.roughNormal();
  return Math.min(1, Math.max(0, brightness));
}
