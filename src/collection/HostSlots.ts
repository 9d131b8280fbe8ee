/**
 * Downloads in flight per upstream host, bounded, so that one slow host
 * cannot hold every collection worker while other hosts' files wait.
 */
export class HostSlots {
  private readonly active = new Map<string, number>();

  /** @param max - downloads from one host at once; at least 1 */
  constructor(private readonly max: number) {}

  /** Whether the host of `uri` has a free slot right now. */
  hasRoom(uri: string): boolean {
    return (this.active.get(hostOf(uri)) ?? 0) < this.max;
  }

  /**
   * Takes a slot for the host of `uri`; returns the function that gives it
   * back, or undefined when the host is saturated.
   */
  tryAcquire(uri: string): (() => void) | undefined {
    const host = hostOf(uri);
    const active = this.active.get(host) ?? 0;
    if (active >= this.max) return undefined;
    this.active.set(host, active + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.active.get(host) ?? 1) - 1;
      if (left > 0) this.active.set(host, left);
      else this.active.delete(host);
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
