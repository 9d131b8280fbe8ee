import { Config } from '@backstage/config';

/** The walk's discoveries in flight when `backpack.upstream.discoveryConcurrency` is not set. */
export const DEFAULT_DISCOVERY_CONCURRENCY = 16;

/**
 * Reads `backpack.upstream.discoveryConcurrency`: how many artifacts a
 * run's or preview's walk discovers at once. Throws at startup on a value
 * that is not a positive integer.
 */
export function discoveryConcurrency(config: Config): number {
  const value =
    config.getOptionalNumber('backpack.upstream.discoveryConcurrency') ?? DEFAULT_DISCOVERY_CONCURRENCY;
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`backpack.upstream.discoveryConcurrency must be a positive integer, got ${value}`);
  }
  return value;
}
