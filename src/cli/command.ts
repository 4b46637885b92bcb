// What every `medtrim` sub-command module exports (src/cli/commands/*), loaded by src/cli/main.ts.
export interface Command {
  summary: string;
  /** Runs the command; returns the process exit code. */
  run(argv: string[]): Promise<number>;
}
