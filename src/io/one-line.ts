// Error messages are one line; text quoted from a file (a CSV header, JSON.parse's excerpt) may hold
// line breaks and other control characters, so those are written as JSON escapes.

export function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: escaping control characters is what this does
  return text.replace(/[\x00-\x1f\x7f]/g, (c) => JSON.stringify(c).slice(1, -1));
}
