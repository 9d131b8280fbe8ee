/**
 * How a run stores the files and dependencies of versions: a discovery
 * stores only the listing of an artifact's versions; after the walk, the
 * files and dependencies of the versions it selected are stored in one
 * batch. A version stored without them that a later run needs (selected or
 * checked after a 304) is described from the upstream's listing again.
 */
import { LoggerService } from '@backstage/backend-plugin-api';
import { JsonObject } from '@backstage/types';
import { ClosureResult } from '../closure/ClosureResolver';
import { StoredArtifact } from '../database/ArtifactStore';
import { BackpackStores } from '../database/createBackpackStores';
import { ListedVersion, VersionGraphStore } from '../database/VersionGraphStore';
import { canonicalJson } from '../lib/canonicalJson';
import { checkDiscoveryOutput } from '../processors/discoveryOutput';
import { ProcessorRegistry } from '../processors/ProcessorRegistry';
import { ProcessorVersion } from '../processors/types';

/**
 * Listings asked for again within one run, by artifact and config: each
 * artifact's at most once, however many of its versions need describing.
 */
export type RunListings = Map<string, Promise<ProcessorVersion[]>>;

/** Artifacts whose selected versions are described in one call of the store. */
const DESCRIBED_AT_ONCE = 200;

/**
 * Stores the files and dependencies of the versions the walk selected from
 * the listings this run discovered (not those answered 304, whose selected
 * versions are stored already, nor those of processors that describe
 * versions, which were stored as described), by the rows the listings
 * returned, in a few statements per few hundred artifacts; their new
 * dependency rows carry the walk's resolutions. Returns the versions
 * (`artifactRef\0version`) described for the first time: their
 * resolutions are recorded already.
 */
export async function describeSelected(
  options: {
    stores: Pick<BackpackStores, 'versions'>;
    processors: ProcessorRegistry;
    listed?: Map<number, Map<string, ListedVersion>>;
  },
  closure: ClosureResult,
  refs: Map<string, StoredArtifact>,
): Promise<Set<string>> {
  const { stores, processors } = options;
  let entries: Parameters<VersionGraphStore['describeVersions']>[0] = [];
  const resolved = new Set<string>();
  // Stored a few hundred artifacts at a time as they are gathered, so that
  // the rows of every selected version of a large first run are never
  // built at once.
  const store = async () => {
    if (entries.length > 0) await stores.versions.describeVersions(entries);
    entries = [];
  };
  for (const artifact of closure.artifacts) {
    const stored = refs.get(artifact.key);
    const listed = stored && options.listed?.get(stored.ref);
    const discovery = artifact.discovery;
    if (!listed || !discovery || discovery.notModified || artifact.selected.length === 0) continue;
    if (processors.find(artifact.processor)?.describeVersion) continue;
    const byVersion = new Map(discovery.versions.map(v => [v.version, v]));
    const versions = [];
    for (const { version, dependencies } of artifact.selected) {
      const row = listed.get(version);
      const described = byVersion.get(version);
      if (!row || !described) continue;
      versions.push({ ...row, version: described, resolutions: dependencies });
      if (!row.described) resolved.add(`${stored.ref}\0${version}`);
    }
    entries.push({ artifact, versions });
    if (entries.length >= DESCRIBED_AT_ONCE) await store();
  }
  await store();
  return resolved;
}

/**
 * One version as the upstream lists it now, for a version a 304 left
 * stored without its files and dependencies: the artifact is discovered
 * again without validators (once per run), checked like any discovery.
 */
export async function describeFromListing(
  options: { processors: ProcessorRegistry; logger: LoggerService; listings?: RunListings },
  processorName: string,
  id: string,
  config: JsonObject,
  version: string,
  signal?: AbortSignal,
): Promise<ProcessorVersion> {
  const { processors, logger } = options;
  const key = `${processorName}:${id}\0${canonicalJson(config)}`;
  let listing = options.listings?.get(key);
  if (!listing) {
    listing = processors
      .get(processorName)
      .discover({ id, config }, { logger, signal })
      .then(result => {
        if (result.notModified) throw new Error('the upstream answered 304 to an unconditional request');
        return checkDiscoveryOutput(result, { processors }).versions;
      });
    options.listings?.set(key, listing);
  }
  const described = (await listing).find(v => v.version === version);
  if (!described) throw new Error(`the upstream no longer lists version ${version}`);
  return described;
}
