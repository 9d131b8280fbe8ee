import { LoggerService } from '@backstage/backend-plugin-api';
import { JsonObject } from '@backstage/types';
import { z } from 'zod';
import { DependencyKind, DependencyPolicy, FileIntegrity } from '../types';

/**
 * A file of a version as the upstream describes it.
 *
 * @public
 */
export interface ProcessorFile {
  /** File name, unique within the version; one path segment (no `/`), or the file is refused. */
  name: string;
  /** Where the collector downloads it from. */
  uri: string;
  /**
   * The file's place in the ecosystem's own layout (npm: `<name>/-/<file>.tgz`,
   * PyPI: `packages/<file>`, Maven: the repository path), a hint only: the
   * storage key is derived by Backpack from (processor, id, version, name).
   * A path with empty, `.` or `..` segments gets the file refused.
   */
  path: string;
  integrity?: FileIntegrity;
  size?: number;
  /**
   * The bytes are named by their digest (`integrity`, which must then be
   * sha256; the discovery checks drop the file otherwise), as OCI blobs and
   * manifests are: Backpack stores them once, under `blobs/sha256/<hex>`,
   * however many artifacts, versions or names list them. Unlike other
   * files, such a file may be re-pointed at other bytes when its upstream
   * names another digest (a moved OCI tag): that is another key, so nothing
   * stored is replaced.
   */
  contentAddressed?: boolean;
  /**
   * Listed but not to be collected, and why (e.g. an OCI non-distributable
   * layer that config leaves out): the file is recorded as parked with this
   * reason, visible in the API and the preview, and never downloaded.
   */
  skipped?: string;
}

/**
 * A direct dependency declared by a version.
 *
 * @public
 */
export interface ProcessorDependency {
  processor: string;
  id: string;
  /** The range the version requires, in the target processor's range language. */
  range: string;
  kind: DependencyKind;
  config?: JsonObject;
  /** Set when the spec cannot be mirrored at all (git, file, url, workspace specs). */
  unresolvable?: string;
  /**
   * Where the parent declares it, when that is not obvious (a chart's image
   * found in an annotation or in values.yaml); shown in the preview.
   */
  source?: string;
}

/**
 * One version as the upstream describes it.
 *
 * @public
 */
export interface ProcessorVersion {
  version: string;
  publishedAt?: string;
  /**
   * The license the upstream declares, an SPDX expression where the
   * ecosystem uses them (npm's `license`, PyPI's `License-Expression`);
   * read by the admission checks.
   */
  license?: string;
  /** The upstream's deprecation message, when the version is deprecated. */
  deprecated?: string;
  /** Set when the upstream yanked the version: its reason, or `true` without one. */
  yanked?: string | true;
  files: ProcessorFile[];
  dependencies: ProcessorDependency[];
  /**
   * The upstream's own record of the version, kept byte for byte for a
   * view that serves it unchanged (a Cargo index line); at most 1 MiB, or
   * it is dropped. Updated when the upstream changes it (a yanked crate).
   */
  metadata?: string;
}

/**
 * HTTP cache validators of a previous discovery, sent back as conditional
 * request headers.
 *
 * @public
 */
export interface DiscoveryValidators {
  etag?: string;
  lastModified?: string;
}

/**
 * What a processor found upstream.
 *
 * @public
 */
export type DiscoveryResult =
  | { notModified: true }
  | {
      notModified: false;
      versions: ProcessorVersion[];
      /** Named versions usable in ranges, e.g. npm dist-tags (`latest`, `next`). */
      tags?: Record<string, string>;
      validators?: DiscoveryValidators;
    };

/**
 * Version ordering and range language of an ecosystem.
 *
 * @public
 */
export interface VersionScheme {
  /** Short name of the range language, e.g. `semver`, `pep440`, `maven`. */
  readonly name: string;
  /** Whether the string is a version this ecosystem knows how to order. */
  isValidVersion(version: string): boolean;
  /** Sorts ascending; invalid versions sort first. */
  compare(a: string, b: string): number;
  /** Whether the string is a range in this ecosystem's language. */
  isValidRange(range: string): boolean;
  /** Whether `version` lies in `range`. */
  satisfies(version: string, range: string): boolean;
  /**
   * The one version a range names exactly, whether or not the upstream
   * lists it (an OCI digest, `sha256:…`); undefined for other ranges. Only
   * processors that describe versions on demand
   * ({@link BackpackProcessor.describeVersion}) can serve such versions.
   */
  pinnedVersion?(range: string): string | undefined;
}

/**
 * Context passed to {@link BackpackProcessor.discover}.
 *
 * @public
 */
export interface DiscoverOptions {
  signal?: AbortSignal;
  logger: LoggerService;
  /** Validators stored after the previous discovery of the same artifact. */
  validators?: DiscoveryValidators;
  /**
   * For {@link BackpackProcessor.describeVersion}: the policy the version's
   * dependencies will be resolved under (its root's, or `latest` for
   * versions reached as dependencies), for ecosystems whose dependency
   * lists depend on it (Go: minimal version selection's pins under
   * `latest`, also ranges under `all-satisfying`).
   */
  dependencyPolicy?: DependencyPolicy;
}

/**
 * A stateless ecosystem handler. Given an artifact id and its config it
 * returns every version with its files and direct dependencies. It never
 * touches the database, the job queue or the blob store.
 *
 * @public
 */
export interface BackpackProcessor {
  /** Unique name, used as the artifact's `processor`. */
  readonly name: string;
  readonly description: string;
  /** Schema of the per-artifact `config`; unknown keys must be rejected. */
  readonly configSchema: z.ZodType<JsonObject>;
  readonly versions: VersionScheme;
  /**
   * Canonical form of an id (e.g. PEP 503 normalisation); identity when
   * absent. Throws an InputError naming `id` (`id: '…' is not a valid …`)
   * for an id that cannot name a package of this ecosystem. Backpack calls
   * it for every id it accepts, from callers and from upstream dependency
   * lists, after checking what all processors share (not empty, at most 512
   * characters, no control characters); an invalid id is refused with 400
   * when a caller sends it and recorded as an unresolvable dependency when an
   * upstream does.
   */
  normalizeId?(id: string): string;
  /**
   * Combines two configs under which one artifact is needed into one that
   * serves both, e.g. for PyPI the union of the extras two parents ask for
   * (`requests` and `requests[socks]`) and of their target platforms. The
   * walk then discovers the artifact under the combined config. Without it
   * an artifact is discovered under the config of the first parent that
   * reaches it. Must be commutative and only ever widen, so walks end.
   */
  mergeConfig?(a: JsonObject, b: JsonObject): JsonObject;
  /**
   * Upstream hosts this processor talks to, for the host policy of every
   * outbound request. Hosts given only here may resolve to public addresses
   * only; list internal ones in `backpack.allowedHosts`.
   */
  allowedHosts?(): string[];
  discover(
    request: { id: string; config: JsonObject },
    options: DiscoverOptions,
  ): Promise<DiscoveryResult>;
  /**
   * For ecosystems whose listing names versions cheaply but describes each
   * one only at a cost (OCI: a tag's closure is a walk over manifests):
   * `discover` then returns the listing (versions with empty `files` and
   * `dependencies`, which are ignored), and Backpack asks for the files and
   * dependencies of each version a run selects, once per run, including
   * versions the listing lacks that a range pins
   * ({@link VersionScheme.pinnedVersion}). Throws a NotFoundError for a
   * version that does not exist.
   */
  describeVersion?(
    request: { id: string; config: JsonObject; version: string },
    options: DiscoverOptions,
  ): Promise<ProcessorVersion>;
}
