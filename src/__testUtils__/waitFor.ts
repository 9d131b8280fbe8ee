/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms));

/** How often and how long {@link waitFor} asks. */
export interface WaitOptions {
  /** How many times to ask before giving up; 600 by default. */
  attempts?: number;
  /** Pause between two questions; 50 ms by default. */
  intervalMs?: number;
}

/**
 * Asks `check` until it answers something other than `undefined` or
 * `false`, and returns that answer. Bounded by attempts, never by a clock
 * assertion: a slow machine only waits longer. Throws `<what> was not
 * reached` when the attempts run out; an error thrown by `check` ends the
 * wait at once (catch it in `check` where errors mean "not yet").
 */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  options: WaitOptions = {},
): Promise<T> {
  const { attempts = 600, intervalMs = 50 } = options;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    await sleep(intervalMs);
  }
  throw new Error(`${what} was not reached`);
}

/** Reads a value until `done` holds for it; see {@link waitFor}. */
export function pollUntil<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  options?: WaitOptions,
): Promise<T> {
  return waitFor(
    what,
    async () => {
      const value = await read();
      return done(value) ? { value } : undefined;
    },
    options,
  ).then(found => found.value);
}
