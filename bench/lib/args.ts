// Flag parsing shared by the bench scripts.

/** The value of --name as a positive integer, or an error naming the flag. */
export function positiveInt(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got '${text}'`);
  return n;
}
