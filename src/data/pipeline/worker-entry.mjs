// Worker thread bootstrap: the pipeline's worker is TypeScript, run through tsx like the rest of the CLI.
import { register } from 'tsx/esm/api';

register();
await import(new URL('./worker.ts', import.meta.url).href);
