import { Config } from '@backstage/config';
import { InputError, NotFoundError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import { errorMessage } from '../../lib/errorMessage';
import { parseArtifactConfig } from '../../lib/validation';
import { redactUrl } from '../../upstream/urls';
import { UpstreamClient } from '../../upstream/UpstreamClient';
import {
  allowConfiguredUpstream,
  allowedUpstreamOverride,
  restrictUpstreamOverride,
} from '../../upstream/upstreamBaseUrl';
import {
  BackpackProcessor,
  DiscoverOptions,
  DiscoveryResult,
  ProcessorDependency,
  ProcessorVersion,
} from '../types';
import { goArtifactConfigSchema, GoArtifactConfig, readGoProcessorSettings } from './goConfig';
import { GoModFile } from './goMod';
import { GoProxy } from './goProxy';
import { compareGoVersions, parseGoVersion } from './goSemver';
import { GO_MOD_ONLY, goVersionScheme, splitWalkVersion } from './goVersionScheme';
import { ModuleFiles } from './moduleFiles';
import { loadModuleClosure } from './moduleGraph';
import { modulePathProblem, versionFitsPath } from './modulePath';

/**
 * Options for {@link createGoProcessor}.
 *
 * @public
 */
export interface GoProcessorOptions {
  /** The `backpack.processors.go` config block. */
  config?: Config;
  upstream: UpstreamClient;
}

/** go.mod files read at once while loading one module graph. */
const GRAPH_CONCURRENCY = 8;

/**
 * One config for a module two parents reach: its own graph is loaded when
 * either asks for it (a version chosen by another module's graph needs
 * none; one a range adds does). Proxies are the same unless an operator
 * allowed several; then the first in order, so the result is commutative.
 */
function mergeGoConfig(a: JsonObject, b: JsonObject): JsonObject {
  const merged: JsonObject = {};
  const proxies = [a.proxy, b.proxy].filter((p): p is string => typeof p === 'string').sort();
  if (proxies.length) merged.proxy = proxies[0];
  if (a.moduleGraph === false && b.moduleGraph === false) merged.moduleGraph = false;
  return merged;
}

/** Whether `version` lies in a retracted interval. */
function retracted(mod: GoModFile, version: string): boolean {
  return mod.retract.some(
    r => compareGoVersions(version, r.low) >= 0 && compareGoVersions(version, r.high) <= 0,
  );
}

/** The version `@latest` would answer from a list: the highest release, else the highest prerelease. */
function latestOf(versions: string[]): string | undefined {
  const sorted = [...versions].sort(compareGoVersions);
  const releases = sorted.filter(v => parseGoVersion(v)!.prerelease.length === 0);
  return (releases.length ? releases : sorted).at(-1);
}

/**
 * Creates the Go modules processor: versions from a GOPROXY, each
 * described on demand. A version's files are its go.mod, zip and `.info`;
 * its dependencies, unless `moduleGraph` is false, are what the go command
 * needs to build with it:
 * minimal version selection's version of every module it builds from
 * (pinned, go.mod and zip) and every other version whose go.mod it reads
 * while loading the graph (`<version>~go.mod`, the go.mod alone).
 *
 * @public
 */
export function createGoProcessor(options: GoProcessorOptions): BackpackProcessor {
  const { upstream } = options;
  const settings = readGoProcessorSettings(options.config);
  const override = settings.proxy;
  const hosts = allowConfiguredUpstream(upstream.policy, override);
  if (settings.sumdb) {
    const host = new URL(settings.sumdb).host;
    upstream.policy.allow([host], 'operator');
    hosts.push(host);
  }
  const files = new ModuleFiles({
    upstream,
    sumdb: settings.sumdb,
    zipLimits: { maxUnzippedBytes: settings.maxUnzippedBytes, maxFiles: settings.maxZipFiles },
  });

  function parse(request: { id: string; config: JsonObject }): { config: GoArtifactConfig; proxy: GoProxy } {
    const problem = modulePathProblem(request.id);
    if (problem) throw new InputError(`'${request.id}' is not a Go module path: it ${problem}`);
    const config = parseArtifactConfig(goArtifactConfigSchema, request.config);
    // Checked again here: stored and inherited configs bypass the API.
    return { config, proxy: new GoProxy(upstream, allowedUpstreamOverride(config.proxy, override)) };
  }

  async function discover(
    request: { id: string; config: JsonObject },
    discoverOptions: DiscoverOptions,
  ): Promise<DiscoveryResult> {
    const { id } = request;
    const { proxy } = parse(request);
    const { signal } = discoverOptions;
    const listed = await proxy.list(id, { validators: discoverOptions.validators, signal });
    if (listed.notModified) return { notModified: true };
    let versions = listed.versions.filter(v => parseGoVersion(v) && versionFitsPath(id, v));
    if (versions.length === 0) {
      // A module without tags: @latest names its newest pseudo-version.
      const latest = await proxy.latest(id, signal);
      if (!latest || !parseGoVersion(latest.Version) || !versionFitsPath(id, latest.Version)) {
        throw new NotFoundError(`Go module '${id}' has no version at ${redactUrl(proxy.base)}`);
      }
      versions = [latest.Version];
    }
    // Retractions are declared in the latest version's go.mod; retracted
    // versions are left out of the listing, so filters and ranges skip
    // them, but a requirement that pins one still gets it.
    const newest = latestOf(versions)!;
    let kept = versions;
    try {
      const { mod } = await files.goMod(proxy, id, newest, signal);
      kept = versions.filter(v => !retracted(mod, v));
    } catch (error) {
      if (signal?.aborted) throw error;
      // As the go command: a latest go.mod it cannot read retracts nothing.
      discoverOptions.logger.warn(`go: retractions of ${id} unknown (${newest}'s go.mod: ${errorMessage(error)})`);
    }
    return {
      notModified: false,
      versions: kept.map(version => ({ version, files: [], dependencies: [] })),
      validators: listed.validators,
    };
  }

  async function describeVersion(
    request: { id: string; config: JsonObject; version: string },
    describeOptions: DiscoverOptions,
  ): Promise<ProcessorVersion> {
    const { id } = request;
    const { config, proxy } = parse(request);
    const { signal } = describeOptions;
    const { version, modOnly } = splitWalkVersion(request.version);
    if (!parseGoVersion(version) || !versionFitsPath(id, version)) {
      throw new NotFoundError(`'${request.version}' is no version of Go module '${id}'`);
    }
    const goMod = await files.goMod(proxy, id, version, signal);
    if (modOnly) {
      await files.verify(id, version, { mod: goMod.h1 }, describeOptions);
      return { version: request.version, files: [goMod.file], dependencies: [] };
    }
    const [zip, info] = await Promise.all([
      files.zip(proxy, id, version, signal),
      files.info(proxy, id, version, signal),
    ]);
    await files.verify(id, version, { zip: zip.h1, mod: goMod.h1 }, describeOptions);
    const described: ProcessorVersion = {
      version,
      files: [goMod.file, zip.file, ...(info ? [info.file] : [])],
      dependencies: [],
    };
    if (info?.time) described.publishedAt = info.time;
    if (config.moduleGraph === false) return described;

    const closure = await loadModuleClosure(
      { path: id, version, mod: goMod.mod },
      async (path, v) => (await files.goMod(proxy, path, v, signal)).mod,
      { maxModules: settings.maxGraphModules, concurrency: GRAPH_CONCURRENCY, signal },
    );
    // Their versions are chosen here, so they are not expanded again.
    const inherited: JsonObject = { moduleGraph: false };
    if (config.proxy) inherited.proxy = config.proxy;
    const dependency = (path: string, range: string): ProcessorDependency => ({
      processor: 'go',
      id: path,
      range,
      kind: 'runtime',
      config: inherited,
    });
    // The version described is the root of its graph, not a dependency.
    const isSelf = (path: string, v: string) => path === id && v === version;
    for (const [path, selected] of [...closure.selected].sort()) {
      if (isSelf(path, selected)) continue;
      described.dependencies.push(dependency(path, selected));
    }
    for (const [path, read] of [...closure.modsRead].sort()) {
      for (const v of [...read].sort(compareGoVersions)) {
        if (v === closure.selected.get(path) || isSelf(path, v)) continue;
        described.dependencies.push(dependency(path, `${v}${GO_MOD_ONLY}`));
      }
    }
    const policy = describeOptions.dependencyPolicy;
    if (policy === 'all-satisfying' || policy === 'all') {
      // Every later version of a direct requirement (same major path) is
      // one a consumer may upgrade to, with its own module graph.
      const ranged: JsonObject = config.proxy ? { proxy: config.proxy } : {};
      // A go.mod may list a requirement twice; one range each.
      for (const key of new Set(closure.direct.map(r => `${r.path} ${r.version}`))) {
        const [path, minimum] = key.split(' ');
        described.dependencies.push({ processor: 'go', id: path, range: `>=${minimum}`, kind: 'runtime', config: ranged });
      }
    }
    return described;
  }

  return {
    name: 'go',
    description: `Go modules from the GOPROXY ${override.defaultUrl}, with the module graph minimal version selection needs`,
    configSchema: restrictUpstreamOverride(goArtifactConfigSchema, override),
    versions: goVersionScheme,
    normalizeId: (id: string) => {
      const problem = modulePathProblem(id);
      if (problem) throw new InputError(`id: '${id}' is not a Go module path: it ${problem}`);
      return id;
    },
    allowedHosts: () => [...new Set(hosts)],
    mergeConfig: mergeGoConfig,
    discover,
    describeVersion,
  };
}
