// The exit protocol of the bench scripts: the exit code main returns, or 1 with the error's message (no stack:
// errors here are bad flags or missing adapters, said in one line).
export function runScript(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
