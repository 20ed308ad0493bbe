import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Accounts the wall time a stage spends waiting on the outside world (child processes such as
 * docker and git, and HTTP calls), so the pipeline can report each stage's own overhead:
 * `durationMs - externalMs`. Overlapping waits count once (the union of the intervals).
 */
interface Clock {
  active: number;
  since: number;
  totalMs: number;
}

const storage = new AsyncLocalStorage<Clock>();

/** Marks the start of an external wait in the current stage; returns the function that ends it. */
export function beginExternal(): () => void {
  const clock = storage.getStore();
  if (!clock) return () => {};
  if (clock.active++ === 0) clock.since = performance.now();
  let ended = false;
  return () => {
    if (ended) return;
    ended = true;
    if (--clock.active === 0) clock.totalMs += performance.now() - clock.since;
  };
}

/** Runs `fn` as an external wait (e.g. a `fetch`). */
export async function external<T>(fn: () => Promise<T>): Promise<T> {
  const end = beginExternal();
  try {
    return await fn();
  } finally {
    end();
  }
}

/** Runs `fn` with a fresh clock; returns its value and the external milliseconds it accumulated. */
export async function measureExternal<T>(fn: () => Promise<T>): Promise<{ value: T; externalMs: number }> {
  const clock: Clock = { active: 0, since: 0, totalMs: 0 };
  const value = await storage.run(clock, fn);
  return { value, externalMs: Math.round(clock.totalMs) };
}
