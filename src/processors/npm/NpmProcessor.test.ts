import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { NotFoundError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import { generateNpmPackageSet } from '../../__testUtils__/npmPackageSet';
import { startVerdaccio, TestNpmRegistry } from '../../__testUtils__/verdaccio';
import { UpstreamClient } from '../../upstream/UpstreamClient';
import { fresh, version } from '../__testUtils__/discoveryResults';
import { BackpackProcessor } from '../types';
import { createNpmProcessor } from './NpmProcessor';
import { parseNpmIntegrity } from './packument';

const logger = mockServices.logger.mock();

// A generated package set stands in for the real express and @jest/types
// (see NpmProcessor.corpus.test.ts).
const generated = generateNpmPackageSet();
const bare = (name: string) => name.replace(/^@[^/]+\//, '');

describe('createNpmProcessor', () => {
  let registry: TestNpmRegistry;
  let upstream: UpstreamClient;
  let npm: BackpackProcessor;
  const discover = (id: string, config: JsonObject = {}, validators?: { etag?: string }) =>
    npm.discover({ id, config }, { logger, validators });

  beforeAll(async () => {
    registry = await startVerdaccio(generated.packages);
    await registry.publish({
      name: 'edge-cases',
      versions: {
        '1.0.0': {
          dependencies: {
            'string-width-cjs': 'npm:string-width@^4.2.0',
            'any-alias': 'npm:left-pad',
            'scoped-alias': 'npm:@jest/types@^29',
            'from-git': 'github:user/repo#v1',
            shorthand: 'user/repo',
            'git-url': 'git+https://example.invalid/r.git',
            'from-file': 'file:../local',
            'from-link': 'link:../linked',
            tarball: 'https://example.invalid/t-1.0.0.tgz',
            'in-workspace': 'workspace:^',
            'tagged': 'next',
            'both-kinds': '^1.0.0',
            'peer-and-dep': '^2.0.0',
          },
          optionalDependencies: { 'both-kinds': '^1.1.0', fsevents: '^2' },
          peerDependencies: { react: '>=17', 'peer-and-dep': '*', 'optional-peer': '^1' },
          peerDependenciesMeta: { 'optional-peer': { optional: true } },
        },
      },
    });
  });

  afterAll(async () => {
    await registry?.stop();
  });

  beforeEach(() => {
    upstream = new UpstreamClient({ retries: 0 });
    npm = createNpmProcessor({
      config: new ConfigReader({ registry: registry.url }),
      upstream,
    });
  });

  it('describes itself', () => {
    expect(npm.name).toBe('npm');
    expect(npm.versions.name).toBe('semver');
    expect(npm.allowedHosts?.()).toEqual([new URL(registry.url).host]);
    expect(
      createNpmProcessor({ upstream: new UpstreamClient() }).allowedHosts?.(),
    ).toEqual(['registry.npmjs.org']);
  });

  it('discovers every version of a package with tarballs, integrity and dependencies', async () => {
    const { name, version: mirrored } = generated.root;
    const published = generated.packages.find(p => p.name === name)!;
    const result = fresh(await discover(name));
    expect(result.versions).toHaveLength(Object.keys(published.versions).length);
    expect(result.tags).toEqual(published.distTags);
    expect(result.validators?.etag).toMatch(/^"[0-9a-f]+"$/);

    const v = version(result, mirrored);
    // The digest the registry publishes, as hex.
    const packument = await (await fetch(`${registry.url}/${name}`)).json();
    const sri: string = packument.versions[mirrored].dist.integrity;
    expect(v.files).toEqual([
      {
        name: `${name}-${mirrored}.tgz`,
        uri: `${registry.url}/${name}/-/${name}-${mirrored}.tgz`,
        path: `${name}/-/${name}-${mirrored}.tgz`,
        integrity: {
          algorithm: 'sha512',
          digest: Buffer.from(sri.replace(/^sha512-/, ''), 'base64').toString('hex'),
        },
      },
    ]);
    const declared = Object.entries(published.versions[mirrored].dependencies!);
    expect(v.dependencies).toHaveLength(declared.length);
    expect(v.dependencies).toContainEqual({
      processor: 'npm',
      id: declared[0][0],
      range: declared[0][1],
      kind: 'runtime',
      config: {},
    });
    expect(v.dependencies.every(d => d.kind === 'runtime' && !d.unresolvable)).toBe(true);
    expect(v.publishedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('discovers scoped packages', async () => {
    const scoped = generated.packages.find(
      p => p.name.startsWith('@') && Object.values(p.versions).some(m => m.dependencies),
    )!;
    const [mirrored, manifest] = Object.entries(scoped.versions).find(([, m]) => m.dependencies)!;
    const v = version(await discover(scoped.name), mirrored);
    expect(v.files).toEqual([
      expect.objectContaining({
        name: `${bare(scoped.name)}-${mirrored}.tgz`,
        uri: `${registry.url}/${scoped.name}/-/${bare(scoped.name)}-${mirrored}.tgz`,
        path: `${scoped.name}/-/${bare(scoped.name)}-${mirrored}.tgz`,
      }),
    ]);
    const [dep, range] = Object.entries(manifest.dependencies!)[0];
    expect(v.dependencies).toContainEqual(expect.objectContaining({ id: dep, range }));
    // The tarball URL the processor hands to the collector really serves the file.
    const tarball = await fetch(v.files[0].uri);
    expect(tarball.status).toBe(200);
    await tarball.arrayBuffer();
  });

  it('answers notModified when the registry answers 304 to the stored validators', async () => {
    const first = fresh(await discover(generated.root.name));
    const second = await discover(generated.root.name, {}, first.validators);
    expect(second).toEqual({ notModified: true });
    expect(upstream.counters.notModified).toBe(1);
    // A validator that no longer matches gets the full document again.
    const third = await discover(generated.root.name, {}, { etag: '"stale"' });
    expect(third.notModified).toBe(false);
  });

  it('sees a new version after a publish despite the stored validators', async () => {
    const versions = { '1.0.0': {} };
    await registry.publish({ name: 'republished', versions });
    const first = fresh(await discover('republished'));
    await registry.publish({ name: 'republished', versions: { ...versions, '1.1.0': {} } });
    const second = fresh(await discover('republished', {}, first.validators));
    expect(second.versions.map(v => v.version)).toEqual(['1.0.0', '1.1.0']);
    expect(second.tags).toEqual({ latest: '1.1.0' });
  });

  it('throws NotFoundError for unknown packages', async () => {
    await expect(discover('no-such-package')).rejects.toThrow(NotFoundError);
    await expect(discover('@no-such/package')).rejects.toThrow(
      `npm package '@no-such/package' not found at ${registry.url}`,
    );
  });

  it('classifies aliases, unsupported specs, optional and peer dependencies', async () => {
    const deps = version(await discover('edge-cases'), '1.0.0').dependencies;
    const byName = (id: string, range?: string) =>
      deps.filter(d => d.id === id && (range === undefined || d.range === range));

    expect(byName('string-width')).toEqual([
      { processor: 'npm', id: 'string-width', range: '^4.2.0', kind: 'runtime', config: {} },
    ]);
    expect(byName('left-pad')).toEqual([expect.objectContaining({ range: '' })]);
    expect(byName('@jest/types')).toEqual([expect.objectContaining({ range: '^29' })]);
    expect(byName('tagged')).toEqual([expect.objectContaining({ range: 'next' })]);

    const unresolvable = Object.fromEntries(
      deps.filter(d => d.unresolvable).map(d => [d.id, d.unresolvable]),
    );
    expect(unresolvable).toEqual({
      'from-git': 'unsupported spec: git',
      shorthand: 'unsupported spec: git',
      'git-url': 'unsupported spec: git',
      'from-file': 'unsupported spec: directory',
      'from-link': 'unsupported spec: link',
      tarball: 'unsupported spec: remote',
      'in-workspace': 'unsupported spec: workspace',
    });
    expect(byName('from-git')[0].range).toBe('github:user/repo#v1');

    // optionalDependencies win over dependencies, dependencies over peers,
    // and peers marked optional are left out, as in npm.
    expect(byName('both-kinds')).toEqual([
      expect.objectContaining({ range: '^1.1.0', kind: 'optional' }),
    ]);
    expect(byName('fsevents')).toEqual([expect.objectContaining({ kind: 'optional' })]);
    expect(byName('peer-and-dep')).toEqual([
      expect.objectContaining({ range: '^2.0.0', kind: 'runtime' }),
    ]);
    expect(byName('react')).toEqual([expect.objectContaining({ range: '>=17', kind: 'peer' })]);
    expect(byName('optional-peer')).toEqual([]);
  });

  it('honours includePeer, includeOptional, a per-artifact registry and fullMetadata', async () => {
    // A per-artifact registry must be one the operator allowed.
    const other = createNpmProcessor({
      config: new ConfigReader({
        registry: 'http://127.0.0.1:9/nowhere',
        allowedRegistries: [registry.url],
      }),
      upstream,
    });
    const config = {
      registry: registry.url,
      includePeer: false,
      includeOptional: false,
      fullMetadata: true,
    };
    const result = await other.discover({ id: 'edge-cases', config }, { logger });
    const v = version(result, '1.0.0');
    const ids = v.dependencies.map(d => d.id);
    expect(ids).not.toContain('react');
    expect(ids).not.toContain('fsevents');
    expect(ids).not.toContain('both-kinds');
    expect(ids).toContain('peer-and-dep');
    // Dependencies are fetched from the same registry and walked the same way.
    expect(v.dependencies[0].config).toEqual({
      registry: registry.url,
      includePeer: false,
      includeOptional: false,
    });
    expect(v.publishedAt).toBe('2020-01-02T00:00:00.000Z');
  });

  it('rejects unknown and malformed config with a clear message', async () => {
    expect(npm.configSchema.safeParse({ registry: registry.url }).success).toBe(true);
    // Only the configured registry and backpack.processors.npm.allowedRegistries.
    const elsewhere = npm.configSchema.safeParse({ registry: 'https://r.example' });
    expect(elsewhere.error?.issues).toEqual([
      expect.objectContaining({
        path: ['registry'],
        message:
          "'https://r.example' is not an allowed registry (configure backpack.processors.npm.allowedRegistries)",
      }),
    ]);
    const unknown = npm.configSchema.safeParse({ registy: 'https://r.example' });
    expect(unknown.success).toBe(false);
    expect(unknown.error?.issues[0].message).toBe(
      'unknown npm config key(s): registy (allowed: registry, includePeer, includeOptional, fullMetadata)',
    );
    expect(npm.configSchema.safeParse({ includePeer: 'yes' }).success).toBe(false);
    expect(npm.configSchema.safeParse({ registry: 'ftp://r.example' }).success).toBe(false);
    await expect(discover(generated.root.name, { nope: true })).rejects.toThrow(/unknown npm config key/);
    await expect(discover('../etc/passwd')).rejects.toThrow(/not a valid npm package name/);
  });
});

describe('parseNpmIntegrity', () => {
  const sha1 = 'cf250e48362174ead6cea4a566abef0162c1ec32';

  it('picks the strongest SRI hash and falls back to shasum', () => {
    const sha512 = Buffer.alloc(64, 1);
    const sha256 = Buffer.alloc(32, 2);
    expect(
      parseNpmIntegrity(
        `sha256-${sha256.toString('base64')} sha512-${sha512.toString('base64')}?opt`,
        sha1,
      ),
    ).toEqual({ algorithm: 'sha512', digest: sha512.toString('hex') });
    expect(parseNpmIntegrity(undefined, sha1.toUpperCase())).toEqual({
      algorithm: 'sha1',
      digest: sha1,
    });
    // A digest of the wrong length is not trusted.
    expect(parseNpmIntegrity('sha512-AAAA', sha1)).toEqual({ algorithm: 'sha1', digest: sha1 });
    expect(parseNpmIntegrity(undefined, 'nope')).toBeUndefined();
  });
});
