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
import { canonicalJson } from '../lib/canonicalJson';
import { checkDiscoveryOutput } from '../processors/discoveryOutput';
import { ProcessorRegistry } from '../processors/ProcessorRegistry';
import { ProcessorVersion } from '../processors/types';

/**
 * Listings asked for again within one run, by artifact and config: each
 * artifact's at most once, however many of its versions need describing.
 */
export type RunListings = Map<string, Promise<ProcessorVersion[]>>;

/**
 * Stores the files and dependencies of the versions the walk selected from
 * the listings it discovered (not those answered 304, whose selected
 * versions are stored already, nor those of processors that describe
 * versions, which were stored as described), in a few statements per few
 * hundred artifacts; then refreshes the planner's statistics, so that what
 * reads them next (recording the resolutions) stays on the indexes of a
 * database that was empty when the run started.
 */
export async function describeSelected(
  options: { stores: Pick<BackpackStores, 'versions'>; processors: ProcessorRegistry },
  closure: ClosureResult,
  refs: Map<string, StoredArtifact>,
): Promise<void> {
  const { stores, processors } = options;
  const entries: Array<{ artifactRef: number; versions: ProcessorVersion[] }> = [];
  for (const artifact of closure.artifacts) {
    const stored = refs.get(artifact.key);
    const discovery = artifact.discovery;
    if (!stored || !discovery || discovery.notModified || artifact.selected.length === 0) continue;
    if (processors.find(artifact.processor)?.describeVersion) continue;
    const selected = new Set(artifact.selected.map(v => v.version));
    entries.push({ artifactRef: stored.ref, versions: discovery.versions.filter(v => selected.has(v.version)) });
  }
  if (entries.length === 0) return;
  await stores.versions.describeVersions(entries);
  await stores.versions.refreshStatistics();
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
