// Types for the tests that import bin/stderr-relay.js (plain JavaScript, outside the type-checked tree).
export interface DawnLineFilter {
  /** Text in (latin1-decoded bytes); what may be written out now. */
  push(text: string): string;
  /** What is still held back when the stream ends. */
  end(): string;
}
export function dawnLineFilter(): DawnLineFilter;
export function isRelayedChild(): boolean;
export function runRelayed(): void;
export function joinRelay(): void;
