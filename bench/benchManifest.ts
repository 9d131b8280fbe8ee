/** One file the upstream file server serves, with what the collector must verify. */
export interface BenchFile {
  /** Path below the file server's root, e.g. `small/jest-29.7.0.tgz`. */
  path: string;
  size: number;
  /** Lower-case hex sha256 of the content. */
  sha256: string;
}

/**
 * What the bench processor offers, written by the harness: named sets of
 * files on the upstream file server.
 */
export interface BenchManifest {
  /** Base URL of the upstream file server, without a trailing slash. */
  baseUrl: string;
  sets: Record<string, BenchFile[]>;
}

/** Config key of the manifest's path in the backend's app-config. */
export const BENCH_MANIFEST_CONFIG_KEY = 'bench.manifest';
