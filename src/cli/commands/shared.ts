// Small pieces the train / eval / search commands share.
import type { ZeroShotResults } from '../../eval/classification.js';
import type { AdapterDescription } from '../../gpu/device.js';

export function adapterWords(info: AdapterDescription): string {
  const who = [info.vendor, info.architecture || info.device].filter(Boolean).join(' ');
  return `${info.description}${who ? ` (${who})` : ''}, ${info.backend}`;
}

export function zeroShotLine(z: ZeroShotResults): string {
  return `zero-shot classification over ${z.images} images: macro-AUC ${z.macroAuc.toFixed(3)}, macro-F1 ${z.macroF1.toFixed(3)}, mean accuracy ${z.meanAccuracy.toFixed(3)}`;
}
