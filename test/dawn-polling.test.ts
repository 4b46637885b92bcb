// The pacing of dawn.node's polls, with a fake clock and timer: Dawn's callback (an unnamed native function) is
// polled at full rate for the first IMMEDIATE_MS of a wait and then from the timer; a new wait starts at full
// rate again; every other callback goes straight to setImmediate. The real binding: test/gpu/runtime.test.ts.
import { describe, expect, it } from 'vitest';
import { dawnPolls, IMMEDIATE_MS, pacedSetImmediate } from '../src/gpu/dawn-polling.js';

function harness() {
  let clock = 0;
  const immediate: (() => void)[] = [];
  const timed: (() => void)[] = [];
  const original = ((callback: (...args: unknown[]) => void, ...args: unknown[]) => {
    immediate.push(() => callback(...args));
    return {};
  }) as unknown as typeof setImmediate;
  const paced = pacedSetImmediate(
    original,
    () => clock,
    (callback) => timed.push(callback),
  );
  return {
    paced,
    immediate,
    timed,
    advance(ms: number) {
      clock += ms;
    },
  };
}

/** An unnamed native function, as dawn.node's Napi::Function (a callable proxy prints as native code). */
function nativePoll(onPoll: () => void): (...args: unknown[]) => void {
  const poll = new Proxy(
    (
      () => () =>
        onPoll()
    )(),
    {},
  );
  expect(poll.name).toBe('');
  expect(Function.prototype.toString.call(poll)).toContain('[native code]');
  return poll;
}

describe('Dawn poll pacing', () => {
  it('polls at full rate for the first millisecond of a wait, then from the timer, until the wait ends', () => {
    const h = harness();
    const before = { ...dawnPolls };
    let polls = 0;
    let pending = 40; // the wait ends after 40 polls: the callback stops scheduling the next
    const poll = nativePoll(() => {
      polls++;
      if (--pending > 0) h.paced(poll);
    });
    h.paced(poll); // Begin(): outside any poll
    const order: string[] = [];
    while (h.immediate.length || h.timed.length) {
      if (h.immediate.length) {
        order.push('i');
        h.immediate.shift()!();
      } else {
        order.push('t');
        h.timed.shift()!();
      }
      h.advance(0.25);
    }
    expect(polls).toBe(40);
    // Begin() and the first poll's successor are scheduled at 0 ms, the rest every 0.25 ms.
    const fullRate = 1 + IMMEDIATE_MS / 0.25;
    expect(order.join('')).toBe('i'.repeat(fullRate) + 't'.repeat(40 - fullRate));
    expect(dawnPolls.immediate - before.immediate).toBe(fullRate);
    expect(dawnPolls.paced - before.paced).toBe(40 - fullRate);

    // The next wait starts at full rate again, however soon it comes.
    pending = 1;
    h.paced(poll);
    expect(h.immediate).toHaveLength(1);
    expect(h.timed).toHaveLength(0);
  });

  it('passes every other callback, and its arguments, straight through', () => {
    const h = harness();
    const got: unknown[] = [];
    h.advance(100);
    h.paced(
      function named(...args: unknown[]) {
        got.push(...args);
      },
      1,
      'two',
    );
    h.paced((x: unknown) => got.push(x), 3);
    h.paced(((x: unknown) => got.push(x)).bind(null), 4); // bound functions are named 'bound …'
    expect(h.timed).toHaveLength(0);
    for (const run of h.immediate) run();
    expect(got).toEqual([1, 'two', 3, 4]);
  });

  it("keeps setImmediate's own properties (util.promisify)", () => {
    const paced = pacedSetImmediate(setImmediate);
    const custom = Symbol.for('nodejs.util.promisify.custom');
    expect((paced as unknown as Record<symbol, unknown>)[custom]).toBe(
      (setImmediate as unknown as Record<symbol, unknown>)[custom],
    );
    expect((paced as unknown as Record<symbol, unknown>)[custom]).toBeTypeOf('function');
  });
});
