import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';

/** Bounds on parsing what upstreams send (`backpack.limits`). */
export interface ParsingLimits {
  xml: {
    /** Deepest element nesting of an XML document (POMs nest about 6 deep). */
    maxDepth: number;
    /** Entity references expanded per XML document. */
    maxEntityExpansions: number;
  };
  maven: {
    /** Characters a POM value may have after `${…}` interpolation. */
    maxInterpolatedLength: number;
    /** Characters produced by interpolation while building one effective POM. */
    maxInterpolationWork: number;
  };
  tarball: {
    /** Bytes inflated while looking for an npm tarball's package.json. */
    maxInflatedBytes: number;
    /** Tar entries looked at while looking for it. */
    maxEntries: number;
  };
}

export const DEFAULT_PARSING_LIMITS: ParsingLimits = {
  xml: { maxDepth: 64, maxEntityExpansions: 10_000 },
  maven: { maxInterpolatedLength: 65_536, maxInterpolationWork: 16 * 1024 * 1024 },
  tarball: { maxInflatedBytes: 256 * 1024 * 1024, maxEntries: 100_000 },
};

/** Limits of collection downloads (`backpack.collection.download`). */
export interface DownloadLimits {
  /** Overall deadline of one download, headers and body. */
  timeoutMs: number;
  /** Slowest average transfer rate tolerated over a window. */
  minBytesPerSecond: number;
  /** Length of the window the rate is measured over. */
  rateWindowMs: number;
}

export const DEFAULT_DOWNLOAD_LIMITS: DownloadLimits = {
  timeoutMs: 3600 * 1000,
  minBytesPerSecond: 1024,
  rateWindowMs: 30_000,
};

function positive(config: Config | undefined, key: string, path: string): number | undefined {
  const value = config?.getOptionalNumber(key);
  if (value === undefined) return undefined;
  if (!Number.isFinite(value) || value <= 0) {
    throw new InputError(`${path}.${key}: must be a positive number`);
  }
  return value;
}

/** Reads `backpack.limits`; every key is optional. */
export function readParsingLimits(config: Config): ParsingLimits {
  const section = (name: string) => config.getOptionalConfig(`backpack.limits.${name}`);
  const read = <T extends Record<string, number>>(name: string, defaults: T): T => {
    const block = section(name);
    const result = { ...defaults };
    for (const key of Object.keys(defaults) as Array<keyof T & string>) {
      const value = positive(block, key, `backpack.limits.${name}`);
      if (value !== undefined) (result as Record<string, number>)[key] = Math.floor(value);
    }
    return result;
  };
  return {
    xml: read('xml', DEFAULT_PARSING_LIMITS.xml),
    maven: read('maven', DEFAULT_PARSING_LIMITS.maven),
    tarball: read('tarball', DEFAULT_PARSING_LIMITS.tarball),
  };
}

/** Reads `backpack.collection.download`; every key is optional. */
export function readDownloadLimits(config: Config): DownloadLimits {
  const path = 'backpack.collection.download';
  const block = config.getOptionalConfig(path);
  const seconds = (key: string) => {
    const value = positive(block, key, path);
    return value === undefined ? undefined : value * 1000;
  };
  const minRate = block?.getOptionalNumber('minBytesPerSecond');
  if (minRate !== undefined && (!Number.isFinite(minRate) || minRate < 0)) {
    throw new InputError(`${path}.minBytesPerSecond: must be 0 (off) or a positive number`);
  }
  return {
    timeoutMs: seconds('timeoutSeconds') ?? DEFAULT_DOWNLOAD_LIMITS.timeoutMs,
    minBytesPerSecond: minRate ?? DEFAULT_DOWNLOAD_LIMITS.minBytesPerSecond,
    rateWindowMs: seconds('rateWindowSeconds') ?? DEFAULT_DOWNLOAD_LIMITS.rateWindowMs,
  };
}
