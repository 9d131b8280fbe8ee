import { Config } from '@backstage/config';
import { FileBatchSettings } from './FileEventBatcher';

/** `backpack.events`, read and checked. */
export interface EventSettings {
  /** Whether Backpack publishes at all when an events service is there. Default true. */
  enabled: boolean;
  files: FileBatchSettings;
  /** Events waiting to be published beyond which new ones are dropped (and the drop logged). */
  maxPending: number;
}

const DEFAULT_BATCH_SIZE = 100;
const DEFAULT_FLUSH_SECONDS = 5;
const DEFAULT_MAX_PENDING = 10_000;

function positiveInteger(config: Config | undefined, key: string, fallback: number): number {
  const value = config?.getOptionalNumber(key) ?? fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`backpack.events.${key} must be a positive integer, got ${value}`);
  }
  return value;
}

/** Reads `backpack.events`; throws at startup on a value that makes no sense. */
export function readEventSettings(config: Config): EventSettings {
  const events = config.getOptionalConfig('backpack.events');
  const flushSeconds = events?.getOptionalNumber('files.flushSeconds') ?? DEFAULT_FLUSH_SECONDS;
  if (!(flushSeconds > 0) || !Number.isFinite(flushSeconds)) {
    throw new Error(`backpack.events.files.flushSeconds must be a positive number, got ${flushSeconds}`);
  }
  return {
    enabled: events?.getOptionalBoolean('enabled') ?? true,
    files: {
      batchSize: positiveInteger(events, 'files.batchSize', DEFAULT_BATCH_SIZE),
      flushAfterMs: Math.round(flushSeconds * 1000),
    },
    maxPending: positiveInteger(events, 'maxPending', DEFAULT_MAX_PENDING),
  };
}
