// Paces dawn.node's event polling. Dawn's Node binding resolves its promises (onSubmittedWorkDone, mapAsync,
// popErrorScope, …) by calling the instance's ProcessEvents from setImmediate, again and again for as long as
// one is outstanding (its AsyncRunner): a busy loop that holds a CPU core for the whole of every wait and makes
// a fresh native function per poll for the garbage collector. On a CPU adapter that core is the GPU's own; on a
// real GPU it is the data loader's. The binding looks `setImmediate` up on the global object at every poll, so
// a wrapper there can pace it: within the first IMMEDIATE_MS of a wait a poll stays immediate (a short wait
// keeps its latency), later ones come every millisecond from a timer.
//
// A wait starts when Dawn schedules a poll from outside its own poll callback (its first outstanding promise)
// and goes on while each poll schedules the next from inside. Dawn's callback is recognised as what the binding passes: a native function without a name (Napi::Function
// with no name given). Our code and the libraries we use pass named JavaScript functions, which go straight
// through; a bound function is named 'bound …'.

/** How long a wait polls at full rate before it is paced. */
export const IMMEDIATE_MS = 1;

/** Dawn's polls since install, split by how they were scheduled (for tests and benchmarks). */
export const dawnPolls = { immediate: 0, paced: 0 };

const INSTALLED = Symbol.for('medtrim.dawnPolling');

type SetImmediate = typeof globalThis.setImmediate;

function isDawnPoll(callback: unknown): boolean {
  return (
    typeof callback === 'function' &&
    callback.name === '' &&
    Function.prototype.toString.call(callback).includes('[native code]')
  );
}

/**
 * A setImmediate that paces Dawn's polls as described above and passes every other callback to `original`.
 * `now` and `timer` are the clock and the delayed scheduler (performance.now and setTimeout; tests give fakes).
 */
export function pacedSetImmediate(
  original: SetImmediate,
  now: () => number = () => performance.now(),
  timer: (callback: () => void) => unknown = (callback) => setTimeout(callback, 1),
): SetImmediate {
  let waitStart = 0;
  let polling = false;
  const paced = function setImmediate(callback: (...args: unknown[]) => void, ...args: unknown[]) {
    if (!isDawnPoll(callback)) return original(callback, ...args);
    const t = now();
    if (!polling) waitStart = t;
    const poll = () => {
      polling = true;
      try {
        callback(...args);
      } finally {
        polling = false;
      }
    };
    if (t - waitStart < IMMEDIATE_MS) {
      dawnPolls.immediate++;
      return original(poll);
    }
    dawnPolls.paced++;
    return timer(poll);
  };
  // Keeps setImmediate's own symbol properties (util.promisify.custom: `promisify(setImmediate)` still works).
  for (const key of Object.getOwnPropertySymbols(original))
    Object.defineProperty(paced, key, Object.getOwnPropertyDescriptor(original, key)!);
  return paced as unknown as SetImmediate;
}

/** Installs the pacing on the global setImmediate once per process (Node only; the browser has no dawn.node). */
export function paceDawnPolling(): void {
  const g = globalThis as typeof globalThis & { [INSTALLED]?: true };
  if (g[INSTALLED] || typeof g.setImmediate !== 'function') return;
  g.setImmediate = pacedSetImmediate(g.setImmediate);
  g[INSTALLED] = true;
}
