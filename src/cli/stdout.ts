// Line output for the streaming commands (`ober`, `tokenize`). A write to a pipe whose reader is behind
// is queued in memory, so a long run must wait for 'drain' on stdout and stderr alike.
import { once } from 'node:events';

/** `medtrim … | head` (or `2>&1 | head`) closes the pipe early; that ends the output, it is not an error. */
export function exitQuietlyOnClosedStdout(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
      throw err;
    });
  }
}

/** Writes one line, waiting while the reader is behind so that output never piles up in memory. */
export async function writeLine(line: string, stream: NodeJS.WriteStream = process.stdout): Promise<void> {
  if (!stream.write(line + '\n')) await once(stream, 'drain');
}
