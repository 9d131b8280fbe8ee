/**
 * Bounds of a plugin host; each has a default.
 *
 * @public
 */
export interface PluginHostLimits {
  /** Per request, from the call until the answer; default 30 s. */
  timeoutMs: number;
  /** From spawning to the handshake answer; default 10 s. */
  startTimeoutMs: number;
  /** Stop the plugin after this long without requests; 0 keeps it running. Default 5 minutes. */
  idleMs: number;
  /** Between the polite stop (stdin closed) and the kill; default 5 s. */
  graceMs: number;
  /** Largest line either side may write; default 16 MiB. */
  maxMessageBytes: number;
  /** Requests sent to the plugin at once; the rest wait. Default 16. */
  maxConcurrentRequests: number;
  /** Requests waiting beyond which new ones fail at once; default 1000. */
  maxQueuedRequests: number;
  /** First restart delay after a failure, doubled per consecutive failure; default 500 ms. */
  backoffInitialMs: number;
  /** Longest restart delay; default 30 s. */
  backoffMaxMs: number;
}

export const DEFAULT_PLUGIN_HOST_LIMITS: PluginHostLimits = {
  timeoutMs: 30_000,
  startTimeoutMs: 10_000,
  idleMs: 300_000,
  graceMs: 5_000,
  maxMessageBytes: 16 * 1024 * 1024,
  maxConcurrentRequests: 16,
  maxQueuedRequests: 1000,
  backoffInitialMs: 500,
  backoffMaxMs: 30_000,
};

/** The limits given, the defaults for the rest. */
export function resolveLimits(given: Partial<PluginHostLimits>): PluginHostLimits {
  const limits = { ...DEFAULT_PLUGIN_HOST_LIMITS };
  for (const key of Object.keys(limits) as Array<keyof PluginHostLimits>) {
    const value = given[key];
    if (value !== undefined) {
      if (!Number.isFinite(value) || value < 0) {
        throw new Error(`Plugin host limit ${key} must be a non-negative number`);
      }
      limits[key] = value;
    }
  }
  return limits;
}
