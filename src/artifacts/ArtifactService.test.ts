import { TestDatabases } from '@backstage/backend-test-utils';
import { ConflictError, InputError, NotFoundError, NotImplementedError } from '@backstage/errors';
import { z } from 'zod';
import { InMemoryPackages, inMemoryProcessor } from '../__testUtils__/inMemoryProcessor';
import { MirrorHarness } from '../__testUtils__/mirrorHarness';
import { ArtifactService } from './ArtifactService';

// The artifact service over the real store on both databases, with an
// in-memory processor; the REST routes in front of it are tested apart
// (routes/artifactRoutes.test.ts), the whole plugin in plugin*.e2e.test.ts.

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const UPSTREAM: InMemoryPackages = {
  app: { '1.0.0': { lib: '^1.0.0' }, '2.0.0': {} },
  lib: { '1.0.0': {}, '1.1.0': {} },
};

/** Ids are case-insensitive and may not contain spaces, to show normalisation and refusal. */
const testProcessor = inMemoryProcessor({
  name: 'test',
  description: 'In-memory packages',
  configSchema: z.strictObject({ registry: z.url().optional() }),
  packages: UPSTREAM,
  file: (id, version) => ({ uri: `http://127.0.0.1:9/${id}-${version}.tgz`, content: id }),
  allowedHosts: () => ['127.0.0.1:9'],
});

describe.each(databases.eachSupportedId())('ArtifactService on %p', databaseId => {
  let harness: MirrorHarness;
  let service: ArtifactService;
  let deleted: number[];

  beforeEach(async () => {
    harness = await MirrorHarness.create(await databases.init(databaseId), {}, {
      processors: [testProcessor],
    });
    deleted = [];
    service = new ArtifactService({
      stores: harness.stores,
      processors: harness.processors,
      previewer: harness.runner,
      onDelete: ref => deleted.push(ref),
    });
  });

  afterEach(async () => {
    await harness.close();
  });

  it('creates a root under its canonical id, detecting the filter type', async () => {
    const { artifact, promoted } = await service.create(
      { processor: 'test', id: 'App', filter: '^1.0.0', config: { registry: 'https://r.example' } },
      'user:default/ada',
    );
    expect(promoted).toBe(false);
    expect(artifact).toMatchObject({
      processor: 'test',
      id: 'app',
      filter: '^1.0.0',
      filterType: 'semver',
      config: { registry: 'https://r.example' },
      root: true,
      dependencyPolicy: 'latest',
      createdBy: 'user:default/ada',
    });
    expect((await service.create({ processor: 'test', id: 'regex', filter: '^1\\.(0|1)\\..*$' })).artifact.filterType).toBe(
      'regex',
    );
    await expect(service.create({ processor: 'test', id: 'APP' })).rejects.toThrow(ConflictError);
  });

  it('promotes an artifact that exists as a dependency, with the settings asked for', async () => {
    await service.create({ processor: 'test', id: 'app', filter: '1.0.0' });
    await harness.run();
    expect(await service.get('test', 'lib')).toMatchObject({ root: false });
    const { artifact, promoted } = await service.create({
      processor: 'test',
      id: 'lib',
      filter: '1.1.0',
      dependencyPolicy: 'none',
    });
    expect(promoted).toBe(true);
    expect(artifact).toMatchObject({ id: 'lib', root: true, filter: '1.1.0', dependencyPolicy: 'none' });
  });

  it.each([
    [{ processor: 'nope', id: 'x' }, /^processor: unknown processor 'nope'/],
    [{ processor: 'test', id: 'x', config: { registry: 'not a url' } }, /^config\.registry: /],
    [{ processor: 'test', id: 'x', config: { mirror: true } }, /^config\.mirror: Unknown key$/],
    [{ processor: 'test', id: 'x', filterType: 'semver' as const }, /^filterType: 'semver' needs a filter$/],
    [{ processor: 'test', id: 'x', filter: '>>1.0', filterType: 'semver' as const }, /^filter: /],
  ])('refuses %j with an InputError naming the field, writing nothing', async (request, message) => {
    const attempt = service.create(request);
    await expect(attempt).rejects.toThrow(InputError);
    await expect(attempt).rejects.toThrow(message);
    expect(await harness.stores.artifacts.listAllArtifacts({ rootsOnly: false })).toEqual([]);
  });

  it('updates filter, type, config and policy, validated as on creation', async () => {
    await service.create({ processor: 'test', id: 'patched', filter: '^1.0.0' });
    expect(await service.update('test', 'Patched', { filter: '^2\\.', dependencyPolicy: 'none' })).toMatchObject({
      filter: '^2\\.',
      filterType: 'regex',
      dependencyPolicy: 'none',
    });
    const cleared = await service.update('test', 'patched', { filter: null });
    expect(cleared.filter).toBeUndefined();
    expect(cleared.filterType).toBeUndefined();
    // Nothing to change: the stored artifact as it is.
    expect(await service.update('test', 'patched', {})).toEqual(cleared);
    await expect(service.update('test', 'patched', { config: { registry: 'x' } })).rejects.toThrow(
      'config.registry: Invalid URL',
    );
    await expect(service.update('test', 'missing', { filter: null })).rejects.toThrow(NotFoundError);
  });

  it('reads details, versions and files of what a run stored', async () => {
    await service.create({ processor: 'test', id: 'app', filter: '1.0.0' });
    await harness.run();
    const details = await service.getDetails('test', 'APP');
    expect(details).toMatchObject({ id: 'app', counts: { versions: 2, selectedVersions: 1, files: 1 } });
    expect(details.dependencies).toEqual([
      expect.objectContaining({ processor: 'test', id: 'lib', range: '^1.0.0', resolved: ['1.1.0'] }),
    ]);
    const selected = await service.listVersions('test', 'lib', { status: 'selected', limit: 50, offset: 0 });
    expect(selected.items.map(v => v.version)).toEqual(['1.1.0']);
    const files = await service.listFiles('test', 'lib', '1.1.0', { limit: 50, offset: 0 });
    expect(files.items.map(f => f.name)).toEqual(['lib-1.1.0.tgz']);
    await expect(service.listFiles('test', 'lib', '9.9.9', { limit: 50, offset: 0 })).rejects.toThrow(
      'Version 9.9.9 of artifact test:lib not found',
    );
    const page = await service.list({ root: false, limit: 50, offset: 0 });
    expect(page).toMatchObject({ total: 1, items: [{ id: 'lib' }] });
  });

  it('deletes an artifact, tells who aborts its downloads, and answers the keys nothing references', async () => {
    await service.create({ processor: 'test', id: 'deleted', filter: '0.1.0' });
    await harness.run();
    const stored = (await harness.stores.artifacts.getArtifact('test', 'deleted'))!;
    const { orphanedStorageKeys } = await service.delete('test', 'DELETED');
    expect(deleted).toEqual([stored.ref]);
    expect(orphanedStorageKeys).toEqual(['files/test/deleted/0.1.0/deleted-0.1.0.tgz']);
    expect(await service.find('test', 'deleted')).toBeUndefined();
    await expect(service.get('test', 'deleted')).rejects.toThrow(NotFoundError);
    await expect(service.delete('test', 'deleted')).rejects.toThrow(NotFoundError);
  });

  it('reads artifacts of a processor that is no longer registered, under the id as given', async () => {
    await harness.stores.artifacts.createArtifact({
      processor: 'retired',
      id: 'Kept',
      config: {},
      root: true,
      dependencyPolicy: 'latest',
    });
    expect(await service.get('retired', 'Kept')).toMatchObject({ processor: 'retired', id: 'Kept' });
    expect(await service.find('retired', 'kept')).toBeUndefined();
  });

  it('previews a closure without writing anything, and says when it cannot', async () => {
    const preview = await service.preview({ processor: 'test', id: 'App', filter: '1.0.0' });
    expect(preview.closure).toEqual({ test: ['app@1.0.0', 'lib@1.1.0'] });
    expect(preview.totals).toMatchObject({ artifacts: 2, versions: 2, files: 2 });
    expect(await harness.stores.artifacts.listAllArtifacts({ rootsOnly: false })).toEqual([]);

    const without = new ArtifactService({ stores: harness.stores, processors: harness.processors });
    await expect(without.preview({ processor: 'test', id: 'app' })).rejects.toThrow(NotImplementedError);
  });
});
