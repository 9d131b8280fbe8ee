import { Config } from '@backstage/config';
import { OciProcessorSettings, OciRegistry, readOciProcessorSettings } from '../oci/ociConfig';
import { DIGEST, parseOciId, TAG } from '../oci/ociNames';

/** Where an image reference points among the configured OCI registries. */
export type OciTarget =
  | { ok: true; id: string; range: string }
  | { ok: false; reason: string };

/** Docker's own spellings of Docker Hub, which all mean the `docker.io` alias. */
const DOCKER_HUB_HOSTS = ['docker.io', 'index.docker.io', 'registry-1.docker.io'];

/**
 * Maps image references (`[host[:port]/]path[:tag][@sha256:…]`) and
 * `oci://` chart references to artifact ids of the `oci` processor,
 * `<alias>/<path>`: a registry host becomes the alias of the OCI registry
 * configured for it (its origin, or the alias itself when it is a host
 * name such as `ghcr.io`), its namespace prefix dropped. A host with no
 * alias is no target: the reason says which config key to set.
 */
export class OciTargets {
  private readonly aliasByHost = new Map<string, { alias: string; namespace: string }>();
  private readonly aliases: Set<string>;
  /** `backpack.processors.oci`, for reading charts stored in OCI registries. */
  readonly settings: OciProcessorSettings;

  constructor(ociConfig: Config | undefined) {
    const settings = readOciProcessorSettings(ociConfig);
    this.settings = settings;
    this.aliases = new Set(settings.registries.keys());
    for (const registry of settings.registries.values()) {
      const entry = { alias: registry.alias, namespace: registry.namespace };
      this.aliasByHost.set(new URL(registry.origin).host, entry);
      if (!this.aliasByHost.has(registry.alias)) this.aliasByHost.set(registry.alias, entry);
    }
    const hub = settings.registries.get('docker.io');
    if (hub) for (const host of DOCKER_HUB_HOSTS) this.aliasByHost.set(host, { alias: 'docker.io', namespace: hub.namespace });
  }

  /** An id `<alias>/<path>` for a repository on `host` (no host: Docker Hub, as docker reads it). */
  private idOf(host: string | undefined, path: string): OciTarget {
    let id = path;
    if (host !== undefined) {
      const registry = this.aliasByHost.get(host.toLowerCase());
      if (!registry) {
        return {
          ok: false,
          reason: `registry '${host}' has no alias in backpack.processors.oci.registries, so its images cannot be mirrored`,
        };
      }
      let rest = path;
      if (registry.namespace) {
        if (!rest.startsWith(`${registry.namespace}/`)) {
          return { ok: false, reason: `'${host}/${path}' is outside '${registry.namespace}', the path of registry '${registry.alias}'` };
        }
        rest = rest.slice(registry.namespace.length + 1);
      }
      id = `${registry.alias}/${rest}`;
    }
    try {
      const name = parseOciId(id, this.aliases);
      return { ok: true, id: `${name.alias}/${name.path}`, range: '' };
    } catch (error) {
      return { ok: false, reason: error instanceof Error ? error.message : String(error) };
    }
  }

  /**
   * An image reference as docker reads it. The range is its digest when it
   * has one (a pin wins over the tag), else its tag, else `latest`.
   */
  image(reference: string): OciTarget {
    const at = reference.indexOf('@');
    const digest = at === -1 ? undefined : reference.slice(at + 1);
    let rest = at === -1 ? reference : reference.slice(0, at);
    if (digest !== undefined && !DIGEST.test(digest)) {
      return { ok: false, reason: `'${digest.slice(0, 100)}' is not a sha256 digest` };
    }
    const lastSlash = rest.lastIndexOf('/');
    const colon = rest.indexOf(':', lastSlash + 1);
    let tag: string | undefined;
    if (colon !== -1) {
      tag = rest.slice(colon + 1);
      rest = rest.slice(0, colon);
      if (!TAG.test(tag)) return { ok: false, reason: `'${tag.slice(0, 100)}' is not a valid tag` };
    }
    const slash = rest.indexOf('/');
    const first = slash === -1 ? '' : rest.slice(0, slash);
    const hasHost = slash !== -1 && (/[.:]/.test(first) || first === 'localhost');
    const target = hasHost ? this.idOf(first, rest.slice(slash + 1)) : this.idOf(undefined, rest);
    if (!target.ok) return target;
    return { ...target, range: digest ?? tag ?? 'latest' };
  }

  /** A chart in an OCI registry, `oci://host[:port]/path` and the chart's name. */
  chart(repository: string, chart: string): OciTarget {
    const rest = repository.replace(/^oci:\/\//i, '').replace(/\/+$/, '');
    const slash = rest.indexOf('/');
    const host = slash === -1 ? rest : rest.slice(0, slash);
    const path = slash === -1 ? chart : `${rest.slice(slash + 1)}/${chart}`;
    return this.idOf(host, path);
  }

  /** The registry and repository path of an `oci` artifact id this class produced. */
  registryOf(id: string): { registry: OciRegistry; path: string } {
    const { alias, path } = parseOciId(id, this.aliases);
    return { registry: this.settings.registries.get(alias)!, path };
  }
}
