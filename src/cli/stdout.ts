// Line output to stdout for the streaming commands (`ober`, `tokenize`).
import { once } from 'node:events';

/** `medtrim … | head` closes the pipe early; that ends the output, it is not an error. */
export function exitQuietlyOnClosedStdout(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

/** Writes one line, waiting while the consumer is behind so that output never piles up in memory. */
export async function writeLine(line: string): Promise<void> {
  if (!process.stdout.write(line + '\n')) await once(process.stdout, 'drain');
}
