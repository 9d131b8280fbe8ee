import { Config } from '@backstage/config';
import { InputError, NotFoundError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import { parseArtifactConfig } from '../../lib/validation';
import { UpstreamClient } from '../../upstream/UpstreamClient';
import {
  allowConfiguredUpstream,
  allowedUpstreamOverride,
  restrictUpstreamOverride,
} from '../../upstream/upstreamBaseUrl';
import { redactUrl } from '../../upstream/urls';
import {
  BackpackProcessor,
  DiscoverOptions,
  DiscoveryResult,
  ProcessorDependency,
  ProcessorFile,
  ProcessorVersion,
} from '../types';
import {
  ComposerArtifactConfig,
  composerArtifactConfigSchema,
  readComposerProcessorSettings,
} from './composerConfig';
import {
  ComposerPackageVersion,
  isPlatformPackage,
  metadataUrlTemplate,
  normalizeComposerName,
  parsePackageDocument,
} from './composerMetadata';
import { composerDistFileName } from './composerNames';
import { parseComposerConstraint } from './composerConstraint';
import { composerVersionScheme } from './composerVersionScheme';

const PROCESSOR = 'composer';

/**
 * Options for {@link createComposerProcessor}.
 *
 * @public
 */
export interface ComposerProcessorOptions {
  /** The `backpack.processors.composer` config block. */
  config?: Config;
  upstream: UpstreamClient;
}

/**
 * Creates the Composer processor: packages from a Composer v2 repository
 * (`packages.json` naming the `metadata-url`, minified `p2/<vendor>/<name>.json`
 * documents, `~dev.json` for development versions when asked for), one zip
 * dist per version verified by its `shasum` when the repository gives one,
 * and `require` (plus `require-dev` for artifacts that ask) as
 * dependencies, platform requirements (`php`, `ext-*`) recorded as such.
 *
 * @public
 */
export function createComposerProcessor(options: ComposerProcessorOptions): BackpackProcessor {
  const { upstream } = options;
  const settings = readComposerProcessorSettings(options.config);
  const override = settings.repository;
  const hosts = allowConfiguredUpstream(upstream.policy, override);
  upstream.policy.allow(settings.distHosts, settings.distHostTrust);
  const templates = new Map<string, Promise<string>>();

  /** The metadata-url template of a repository, read once per repository. */
  const templateOf = (repository: string, signal?: AbortSignal) => {
    let template = templates.get(repository);
    if (!template) {
      const rootUrl = `${repository}/packages.json`;
      template = (async () => {
        const { response, json } = await upstream.readJson<unknown>(rootUrl, { signal });
        if (json === undefined) throw new Error(`GET ${redactUrl(rootUrl)} answered ${response.status}`);
        const found = metadataUrlTemplate(json, response.url);
        if (!found) {
          throw new Error(`${redactUrl(rootUrl)} names no metadata-url: not a Composer v2 repository`);
        }
        return found;
      })();
      templates.set(repository, template);
      // A failed read is not kept: the next discovery asks again.
      template.catch(() => templates.delete(repository));
    }
    return template;
  };

  const checkedId = (id: string) => {
    if (isPlatformPackage(id)) {
      throw new InputError(`id: '${id}' is a platform package (PHP, an extension or library), not one a repository serves`);
    }
    const name = normalizeComposerName(id);
    if (!name) throw new InputError(`id: '${id}' is not a valid Composer package name (vendor/name)`);
    return name;
  };

  async function discover(
    request: { id: string; config: JsonObject },
    discoverOptions: DiscoverOptions,
  ): Promise<DiscoveryResult> {
    const id = checkedId(request.id);
    const config = parseArtifactConfig(composerArtifactConfigSchema, request.config);
    // Checked again here: stored and inherited configs bypass the API.
    const repository = allowedUpstreamOverride(config.repository, override);
    const { signal } = discoverOptions;
    const template = await templateOf(repository, signal);
    const url = template.replace(/%package%/g, id);
    // Two documents have no single validator: conditional reads only for one.
    const conditional = config.devVersions ? undefined : discoverOptions.validators;
    const { response, json } = await upstream.readJson<unknown>(url, { signal, validators: conditional });
    if (response.notModified) return { notModified: true };
    const notFound = () => new NotFoundError(`Composer package '${id}' not found at ${redactUrl(repository)}`);
    // A package with branches only may have no tagged document.
    if (response.status === 404 && !config.devVersions) throw notFound();
    if (json === undefined && response.status !== 404) {
      throw new Error(`GET ${redactUrl(url)} answered ${response.status}`);
    }
    const published = parsePackageDocument(json, id).map(v => ({ entry: v, base: response.url }));
    if (config.devVersions) {
      const devUrl = template.replace(/%package%/g, `${id}~dev`);
      const dev = await upstream.readJson<unknown>(devUrl, { signal });
      if (dev.json !== undefined) {
        published.push(...parsePackageDocument(dev.json, id).map(v => ({ entry: v, base: dev.response.url })));
      } else if (dev.response.status !== 404) {
        throw new Error(`GET ${redactUrl(devUrl)} answered ${dev.response.status}`);
      } else if (response.status === 404) {
        throw notFound();
      }
    }
    const versions = new Map<string, ProcessorVersion>();
    for (const { entry, base } of published) {
      if (!composerVersionScheme.isValidVersion(entry.version) || versions.has(entry.version)) continue;
      versions.set(entry.version, describe(id, entry, base, config));
    }
    return {
      notModified: false,
      versions: [...versions.values()],
      ...(config.devVersions ? {} : { validators: response.validators }),
    };
  }

  return {
    name: PROCESSOR,
    description: `PHP packages from the Composer repository ${override.defaultUrl}, with their dependency closures`,
    configSchema: restrictUpstreamOverride(composerArtifactConfigSchema, override),
    versions: composerVersionScheme,
    normalizeId: checkedId,
    mergeConfig: mergeComposerConfig,
    allowedHosts: () => [...new Set([...hosts, ...settings.distHosts])],
    discover,
  };
}

/** A version with its dist (when it has a zip one) and its requirements. */
function describe(
  id: string,
  entry: ComposerPackageVersion,
  base: string,
  config: ComposerArtifactConfig,
): ProcessorVersion {
  const files: ProcessorFile[] = [];
  if (entry.dist) {
    const name = composerDistFileName(id, entry.version);
    let uri: string | undefined;
    try {
      const parsed = new URL(entry.dist.url, base);
      if (parsed.protocol === 'http:' || parsed.protocol === 'https:') uri = parsed.href;
    } catch {
      // Left undefined: no file.
    }
    if (uri) {
      files.push({
        name,
        uri,
        path: `${id}/${name}`,
        ...(entry.dist.shasum ? { integrity: { algorithm: 'sha1' as const, digest: entry.dist.shasum } } : {}),
        ...(entry.dist.type !== 'zip'
          ? { skipped: `dist type '${entry.dist.type}' is not mirrored (only zip dists are)` }
          : {}),
      });
    }
  }
  const requires = Object.entries(entry.require);
  if (config.requireDev) requires.push(...Object.entries(entry.requireDev));
  return {
    version: entry.version,
    ...(entry.time ? { publishedAt: entry.time } : {}),
    // The repository's record, which the view serves (its dist pointed at the mirror).
    metadata: JSON.stringify(entry.raw),
    files,
    dependencies: requires.map(([name, constraint]) => dependencyOf(name, constraint, entry.version, config)),
  };
}

/** One requirement as a dependency; what no repository serves is recorded with the reason. */
export function dependencyOf(
  name: string,
  constraint: string,
  version: string,
  config: ComposerArtifactConfig,
): ProcessorDependency {
  // `self.version`: the same version as the requiring package (packages split from one repository).
  const range = constraint.trim() === 'self.version' ? version : constraint;
  const recorded = { processor: PROCESSOR, id: name.toLowerCase(), range, kind: 'runtime' as const };
  if (isPlatformPackage(name)) {
    return { ...recorded, unresolvable: `platform requirement: '${name}' is provided by the PHP installation, not mirrored` };
  }
  const id = normalizeComposerName(name);
  if (!id) return { ...recorded, id: name, unresolvable: `'${name}' is not a valid Composer package name` };
  const inherited: JsonObject = {};
  if (config.repository) inherited.repository = config.repository;
  // A requirement on a branch or with @dev needs the development versions listed.
  if (parseComposerConstraint(range)?.stability === 'dev') inherited.devVersions = true;
  return { ...recorded, id, config: inherited };
}

/**
 * Two configs of one package combined: development versions when either
 * needs them, require-dev when either follows it.
 */
export function mergeComposerConfig(a: JsonObject, b: JsonObject): JsonObject {
  const merged: JsonObject = { ...b, ...a };
  for (const key of ['devVersions', 'requireDev']) {
    if (a[key] === true || b[key] === true) merged[key] = true;
    else delete merged[key];
  }
  return merged;
}
