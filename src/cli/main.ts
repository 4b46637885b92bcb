// The `medtrim` command line: one sub-command per module under ./commands, loaded lazily so that
// `medtrim ober` never pays for starting a GPU. Exit codes: 0 done, 1 error, 2 bad usage.
import type { Command } from './command.js';
import { isParseArgsError, UsageError } from './commands/shared.js';

const commands: Record<string, () => Promise<Command>> = {
  info: async () => (await import('./commands/info.js')).default,
  data: async () => (await import('./commands/data.js')).default,
  ober: async () => (await import('./commands/ober.js')).default,
  tokenize: async () => (await import('./commands/tokenize.js')).default,
  train: async () => (await import('./commands/train.js')).default,
  eval: async () => (await import('./commands/eval.js')).default,
  search: async () => (await import('./commands/search.js')).search,
  embed: async () => (await import('./commands/search.js')).embed,
  demo: async () => (await import('./commands/demo.js')).default,
  bench: async () => (await import('./commands/bench.js')).default,
};

function usage(): string {
  const lines = ['usage: medtrim <command> [options]    (medtrim <command> --help for details)', '', 'commands:'];
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    const list: string[] = [];
    for (const [cmd, load] of Object.entries(commands)) list.push(`  ${cmd.padEnd(10)} ${(await load()).summary}`);
    console.log(usage() + '\n' + list.join('\n'));
    return name ? 0 : 2;
  }
  const load = commands[name];
  if (!load) {
    console.error(`medtrim: unknown command '${name}' (try medtrim --help)`);
    return 2;
  }
  try {
    return await (await load()).run(rest);
  } catch (err) {
    const usage = err instanceof UsageError || isParseArgsError(err);
    // One line (parseArgs spreads its hints over several).
    const message = (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' ');
    console.error(`medtrim ${name}: ${message}${usage ? ` (see medtrim ${name} --help)` : ''}`);
    if (process.env.MEDTRIM_DEBUG) console.error(err);
    return usage ? 2 : 1;
  }
}
