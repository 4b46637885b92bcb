// Processes seen through Linux's /proc: the CLI runs in a child process of its own (bin/stderr-relay.js), and
// tests that kill it check that child too.
import { readFileSync } from 'node:fs';

/** The pids of a process's children (empty once it has none, or has ended). */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Whether a process has ended (gone, or a zombie that no one has reaped yet). */
export function ended(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z');
  } catch {
    return true;
  }
}
