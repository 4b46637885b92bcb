#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so a fresh `npm ci` needs no build step. It runs in a child process
// whose stderr this one relays without two warnings Dawn prints natively (why and how: stderr-relay.js), except
// under a debugger (`node --inspect`), which must attach to the process that runs the CLI.
import { isRelayedChild, joinRelay, runRelayed } from './stderr-relay.js';

const debugging = process.execArgv.some((flag) => flag.startsWith('--inspect'));
if (isRelayedChild() || debugging) {
  if (!debugging) joinRelay();
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('../src/cli/main.ts');
  process.exitCode = await main(process.argv.slice(2));
} else runRelayed();
