import { Config } from '@backstage/config';
import { InputError, NotFoundError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import { parseArtifactConfig } from '../../lib/validation';
import { parseUpstreamJson } from '../../upstream/readBoundedBody';
import { redactUrl } from '../../upstream/urls';
import { UpstreamClient } from '../../upstream/UpstreamClient';
import {
  allowConfiguredUpstream,
  allowedUpstreamOverride,
  restrictUpstreamOverride,
} from '../../upstream/upstreamBaseUrl';
import { BackpackProcessor, DiscoverOptions, DiscoveryResult } from '../types';
import { npmArtifactConfigSchema, readNpmProcessorSettings } from './npmConfig';
import { isNpmPackageName } from './npmDependencySpec';
import { Packument, packumentPath, packumentVersions } from './packument';
import { semverScheme } from './semverScheme';

// What npm itself sends: the abbreviated ("corgi") document when the
// registry has it, which is a fraction of the full packument's size.
const ABBREVIATED_ACCEPT =
  'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*';
const FULL_ACCEPT = 'application/json';

/**
 * Options for {@link createNpmProcessor}.
 *
 * @public
 */
export interface NpmProcessorOptions {
  /** The `backpack.processors.npm` config block. */
  config?: Config;
  upstream: UpstreamClient;
}

/**
 * Creates the npm processor: packuments from an npm registry, one tarball
 * per version, and `dependencies`, `optionalDependencies` and non-optional
 * `peerDependencies` as dependencies.
 *
 * @public
 */
export function createNpmProcessor(options: NpmProcessorOptions): BackpackProcessor {
  const { upstream } = options;
  const settings = readNpmProcessorSettings(options.config);
  const override = settings.registry;
  const hosts = allowConfiguredUpstream(upstream.policy, override);

  async function discover(
    request: { id: string; config: JsonObject },
    discoverOptions: DiscoverOptions,
  ): Promise<DiscoveryResult> {
    const { id } = request;
    if (!isNpmPackageName(id)) {
      throw new InputError(`'${id}' is not a valid npm package name`);
    }
    const config = parseArtifactConfig(npmArtifactConfigSchema, request.config);
    // Checked again here: stored and inherited configs bypass the API.
    const registry = allowedUpstreamOverride(config.registry, override);
    const fullMetadata = config.fullMetadata ?? settings.fullMetadata;

    const headers: Record<string, string> = {
      accept: fullMetadata ? FULL_ACCEPT : ABBREVIATED_ACCEPT,
    };
    if (discoverOptions.validators?.etag || discoverOptions.validators?.lastModified) {
      // fetch() adds `Cache-Control: no-cache` to conditional requests unless
      // one is present, and servers that honour it (express' `fresh`, so
      // verdaccio) then never answer 304.
      headers['cache-control'] = 'max-age=0';
    }

    const response = await upstream.get(`${registry}/${packumentPath(id)}`, {
      headers,
      validators: discoverOptions.validators,
      signal: discoverOptions.signal,
    });
    if (response.notModified) return { notModified: true };
    if (response.status === 404) {
      throw new NotFoundError(`npm package '${id}' not found at ${redactUrl(registry)}`);
    }
    if (response.status !== 200) {
      throw new Error(`GET ${redactUrl(response.url)} answered ${response.status}`);
    }

    const packument = parseUpstreamJson<Packument>(response.body, response.url);

    // Dependencies inherit what changes how they must be fetched or walked.
    const inherited: JsonObject = {};
    if (config.registry) inherited.registry = config.registry;
    if (config.includePeer !== undefined) inherited.includePeer = config.includePeer;
    if (config.includeOptional !== undefined) inherited.includeOptional = config.includeOptional;
    const versions = packumentVersions(id, packument, {
      includePeer: config.includePeer ?? true,
      includeOptional: config.includeOptional ?? true,
      config: inherited,
    });

    return {
      notModified: false,
      versions,
      tags: { ...packument['dist-tags'] },
      validators: response.validators,
    };
  }

  return {
    name: 'npm',
    description: `npm packages from ${override.defaultUrl}, with their dependency closures`,
    configSchema: restrictUpstreamOverride(npmArtifactConfigSchema, override),
    versions: semverScheme,
    // npm names are case-sensitive and need no normalising, only checking.
    normalizeId: (id: string) => {
      if (!isNpmPackageName(id)) {
        throw new InputError(`id: '${id}' is not a valid npm package name`);
      }
      return id;
    },
    allowedHosts: () => [...new Set(hosts)],
    discover,
  };
}
