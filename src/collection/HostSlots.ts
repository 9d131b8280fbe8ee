/** Gives a download slot back; `durationMs` is how long its download took. */
export type SlotRelease = (durationMs?: number) => void;

interface HostState {
  active: number;
  /** Moving average of download durations, once one finished. */
  averageMs?: number;
  /** Callers waiting for a slot, first come first served. */
  waiters: Array<(release: SlotRelease) => void>;
}

/** Weight of the latest download in the moving average. */
const ALPHA = 0.2;

/**
 * Downloads in flight per upstream host, bounded, so that one slow host
 * cannot hold every collection worker while other hosts' files wait.
 *
 * A caller that finds its host saturated may wait for a slot only when the
 * host is quick: when, from the average duration of its downloads, one of
 * its slots is expected to free within the wait. A slow or stalled host is
 * never waited for, so its other jobs step aside at once (they are deferred)
 * and other hosts' jobs behind them go ahead; a quick host's jobs wait
 * briefly instead, and keep its slots busy without idle gaps.
 */
export class HostSlots {
  private readonly hosts = new Map<string, HostState>();

  /** @param max - downloads from one host at once; at least 1 */
  constructor(private readonly max: number) {}

  /** Takes a slot for the host of `uri` at once, or returns undefined when it is saturated. */
  tryAcquire(uri: string): SlotRelease | undefined {
    const state = this.state(hostOf(uri));
    if (state.active >= this.max) return undefined;
    state.active += 1;
    return this.releaser(state);
  }

  /**
   * Takes a slot, waiting up to `maxWaitMs` if the host is quick enough for
   * one to free meanwhile; undefined when there is none.
   */
  async acquire(uri: string, maxWaitMs: number): Promise<SlotRelease | undefined> {
    const now = this.tryAcquire(uri);
    if (now) return now;
    const state = this.state(hostOf(uri));
    const nextFreeMs =
      state.averageMs === undefined ? Infinity : state.averageMs / Math.max(1, state.active);
    if (nextFreeMs > maxWaitMs) return undefined;
    return new Promise(resolve => {
      let timer: NodeJS.Timeout | undefined = undefined;
      const waiter = (release: SlotRelease) => {
        clearTimeout(timer);
        resolve(release);
      };
      timer = setTimeout(() => {
        state.waiters.splice(state.waiters.indexOf(waiter), 1);
        resolve(undefined);
      }, maxWaitMs);
      state.waiters.push(waiter);
    });
  }

  /** Whether the host of `uri` has a free slot right now. */
  hasRoom(uri: string): boolean {
    return this.state(hostOf(uri)).active < this.max;
  }

  private state(host: string): HostState {
    let state = this.hosts.get(host);
    if (!state) {
      state = { active: 0, waiters: [] };
      this.hosts.set(host, state);
    }
    return state;
  }

  private releaser(state: HostState): SlotRelease {
    let released = false;
    return durationMs => {
      if (released) return;
      released = true;
      if (durationMs !== undefined) {
        state.averageMs =
          state.averageMs === undefined
            ? durationMs
            : state.averageMs * (1 - ALPHA) + durationMs * ALPHA;
      }
      // The slot goes straight to the first waiter, so that no newcomer
      // takes it in between.
      const next = state.waiters.shift();
      if (next) next(this.releaser(state));
      else state.active -= 1;
    };
  }
}

function hostOf(uri: string): string {
  try {
    return new URL(uri).host.toLowerCase();
  } catch {
    // Refused later by the fetcher; shares one slot group meanwhile.
    return '';
  }
}
