// Patient anatomy of one synthetic frontal radiograph, in resolution-independent "anatomy
// coordinates": x and y run from -1 to 1 across the image, x to the image's right, y downwards.
//
// Radiograph convention (PA view, as a radiologist reads it): the patient faces the viewer, so the
// patient's RIGHT side is on the image's LEFT (x < 0) and the patient's LEFT is on the image's
// RIGHT (x > 0). Every "left"/"right" in this package means the patient's side; use sideSign() to
// turn it into an image x direction.
import type { Rng } from '../../util/rng.js';

export type Side = 'left' | 'right';

/** Image x direction of a patient side: the patient's right is drawn on the image's left. */
export function sideSign(side: Side): -1 | 1 {
  return side === 'right' ? -1 : 1;
}

export interface RibGap {
  side: Side;
  /** Posterior rib index counted from the top (0 = first rib). */
  rib: number;
  /** Lateral position of the break as a fraction of the hemithorax width. */
  at: number;
  /** Vertical step of the displaced fragment, anatomy units. */
  step: number;
}

export interface Anatomy {
  /** Half width of the lung fields at their widest. */
  thoraxHalfWidth: number;
  apexY: number;
  /** Height of each hemidiaphragm at the costophrenic angle (lowest, lateral point), by side. */
  angleY: Record<Side, number>;
  domeHeight: number;
  /** Cardiothoracic ratio: heart width over the thoracic width. */
  cardiothoracicRatio: number;
  heartCenterX: number;
  heartCenterY: number;
  mediastinumHalfWidth: number;
  ribSpacing: number;
  ribPhase: number;
  ribGaps: RibGap[];
  /** Lung vessel texture: a coarse grid of random values sampled bilinearly (resolution independent). */
  vesselGrid: Float32Array;
  /** Projection and exposure. */
  rotationDeg: number;
  scale: number;
  shiftX: number;
  shiftY: number;
  exposure: number;
  contrast: number;
  noiseSigma: number;
}

export const vesselGridSize = 24;

export function sampleAnatomy(rng: Rng): Anatomy {
  const vesselGrid = new Float32Array(vesselGridSize * vesselGridSize);
  for (let i = 0; i < vesselGrid.length; i++) vesselGrid[i] = rng.next();
  const rightAngleY = rng.uniform(0.42, 0.5);
  return {
    thoraxHalfWidth: rng.uniform(0.74, 0.84),
    apexY: rng.uniform(-0.74, -0.64),
    // The right hemidiaphragm sits a little higher than the left (the liver lies beneath it).
    angleY: { right: rightAngleY, left: rightAngleY + rng.uniform(0.02, 0.06) },
    domeHeight: rng.uniform(0.15, 0.21),
    cardiothoracicRatio: rng.uniform(0.4, 0.47),
    heartCenterX: rng.uniform(0.1, 0.15),
    heartCenterY: rng.uniform(0.14, 0.2),
    mediastinumHalfWidth: rng.uniform(0.08, 0.1),
    ribSpacing: rng.uniform(0.115, 0.13),
    ribPhase: rng.uniform(0, 0.3),
    ribGaps: [],
    vesselGrid,
    rotationDeg: rng.uniform(-4, 4),
    scale: rng.uniform(0.94, 1.05),
    shiftX: rng.uniform(-0.04, 0.04),
    shiftY: rng.uniform(-0.04, 0.04),
    exposure: rng.uniform(-0.05, 0.05),
    contrast: rng.uniform(0.9, 1.1),
    noiseSigma: rng.uniform(0.008, 0.02),
  };
}

/** Heart silhouette half extents: wider than tall, growing with the cardiothoracic ratio. */
export function heartRadii(a: Anatomy): { rx: number; ry: number } {
  const rx = a.cardiothoracicRatio * a.thoraxHalfWidth;
  return { rx, ry: 0.6 * rx + 0.1 };
}

/** Hemidiaphragm height at lateral position `lateral` (fraction of hemithorax width, 0 midline, 1 wall). */
export function diaphragmY(a: Anatomy, side: Side, lateral: number): number {
  const dome = Math.exp(-(((lateral - 0.4) / 0.42) ** 2));
  return a.angleY[side] - a.domeHeight * dome;
}

/** Lateral lung edge, as a fraction of the hemithorax width, at vertical lung fraction v (0 apex). */
export function lungLateralEdge(v: number): number {
  return 0.45 + 0.55 * Math.sin((Math.min(1, Math.max(0, v) * 1.6) * Math.PI) / 2);
}

/** Top of the lung (the domed apex) at a lateral position. */
export function lungTopY(a: Anatomy, lateral: number): number {
  return a.apexY + 0.45 * ((lateral - 0.4) / 0.5) ** 2;
}

/** Anatomy coordinates of a point given by side, vertical lung fraction and lateral fraction. */
export function lungPoint(a: Anatomy, side: Side, v: number, lateral: number): { x: number; y: number } {
  const y = a.apexY + v * (diaphragmY(a, side, lateral) - a.apexY);
  return { x: sideSign(side) * lateral * a.thoraxHalfWidth, y };
}
