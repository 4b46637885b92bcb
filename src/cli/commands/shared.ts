// Small pieces the commands share: usage errors (exit 2), strict number flags, adapter and zero-shot lines.
import type { ZeroShotResults } from '../../eval/classification.js';
import type { AdapterDescription } from '../../gpu/device.js';

export function adapterWords(info: AdapterDescription): string {
  const who = [info.vendor, info.architecture || info.device].filter(Boolean).join(' ');
  return `${info.description}${who ? ` (${who})` : ''}, ${info.backend}`;
}

export function zeroShotLine(z: ZeroShotResults): string {
  return `zero-shot classification over ${z.images} images: macro-AUC ${z.macroAuc.toFixed(3)}, macro-F1 ${z.macroF1.toFixed(3)}, mean accuracy ${z.meanAccuracy.toFixed(3)}`;
}

/** Bad usage (an unknown or malformed flag, a missing required one): main prints it and exits 2. */
export class UsageError extends Error {}

/** Errors node:util's parseArgs throws for unknown options, missing values and stray positionals. */
export function isParseArgsError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

/** A flag's text as a finite number (a decimal or exponent literal); anything else is a usage error quoting the text. */
export function numberFlag(flag: string, text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${flag} must be a finite number, got '${text}'`);
  return n;
}

/** A flag's text as an integer ≥ `min`. */
export function integerFlag(flag: string, text: string, min: number): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isSafeInteger(n) || n < min)
    throw new UsageError(`${flag} must be an integer ≥ ${min}, got '${text}'`);
  return n;
}
