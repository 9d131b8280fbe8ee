/**
 * An npm registry and a PyPI JSON API (one static server) whose versions
 * carry what admission checks read: licenses, publication times (some
 * fresh), deprecations, yanked files and file sizes; tarballs and wheels
 * are served too, so runs collect them.
 */
import { createHash } from 'node:crypto';
import { StaticRegistryServer } from '../../__testUtils__/staticRegistryServer';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A time `ms` before now, as registries write it. */
export const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
export { DAY, HOUR };

/** One npm version of the fixture. */
export interface NpmFixtureVersion {
  license?: unknown;
  deprecated?: string;
  published?: string;
  dependencies?: Record<string, string>;
}

const body = (name: string) => `bytes of ${name}\n`;

/** Publishes an npm package (full packument, tarballs with sha512 integrity). */
export function publishNpm(server: StaticRegistryServer, name: string, versions: Record<string, NpmFixtureVersion>): void {
  const time: Record<string, string> = {};
  const manifests: Record<string, unknown> = {};
  for (const [version, v] of Object.entries(versions)) {
    const file = `${name}-${version}.tgz`;
    server.set(`/${name}/-/${file}`, body(file));
    time[version] = v.published ?? ago(400 * DAY);
    manifests[version] = {
      name,
      version,
      ...(v.license !== undefined ? { license: v.license } : {}),
      ...(v.deprecated ? { deprecated: v.deprecated } : {}),
      dependencies: v.dependencies ?? {},
      dist: {
        tarball: `${server.url}/${name}/-/${file}`,
        integrity: `sha512-${createHash('sha512').update(body(file)).digest('base64')}`,
      },
    };
  }
  const latest = Object.keys(versions).at(-1)!;
  server.set(`/${name}`, {
    contentType: 'application/json',
    body: JSON.stringify({ name, 'dist-tags': { latest }, versions: manifests, time }),
  });
}

/** One PyPI release of the fixture. */
export interface PypiFixtureRelease {
  license?: string;
  uploaded?: string;
  requiresDist?: string[];
  /** Every file yanked, with this reason. */
  yanked?: string;
  /** Declared size of the wheel (its bytes are short). */
  size?: number;
}

/** Publishes a PyPI project on the JSON API: one pure wheel per release. */
export function publishPypi(server: StaticRegistryServer, name: string, releases: Record<string, PypiFixtureRelease>): void {
  const files = (version: string, r: PypiFixtureRelease) => {
    const filename = `${name.replace(/-/g, '_')}-${version}-py3-none-any.whl`;
    server.set(`/packages/${filename}`, body(filename));
    return [
      {
        filename,
        url: `${server.url}/packages/${filename}`,
        packagetype: 'bdist_wheel',
        digests: { sha256: createHash('sha256').update(body(filename)).digest('hex') },
        size: r.size ?? Buffer.byteLength(body(filename)),
        yanked: r.yanked !== undefined,
        yanked_reason: r.yanked ?? null,
        upload_time_iso_8601: r.uploaded ?? ago(400 * DAY),
      },
    ];
  };
  const info = (version: string, r: PypiFixtureRelease) => ({
    name,
    version,
    requires_dist: r.requiresDist ?? [],
    license_expression: r.license ?? null,
  });
  const all = Object.fromEntries(Object.entries(releases).map(([v, r]) => [v, files(v, r)]));
  const latest = Object.keys(releases).at(-1)!;
  const json = { contentType: 'application/json' };
  server.set(`/pypi/${name}/json`, {
    ...json,
    body: JSON.stringify({ info: info(latest, releases[latest]), releases: all }),
  });
  for (const [version, r] of Object.entries(releases)) {
    server.set(`/pypi/${name}/${version}/json`, { ...json, body: JSON.stringify({ info: info(version, r), urls: all[version] }) });
  }
}
