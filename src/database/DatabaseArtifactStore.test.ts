import { ConflictError, NotFoundError } from '@backstage/errors';
import { describeOnEachDatabase, npmVersion, rootArtifact as base } from './__testUtils__/storeFixtures';

jest.setTimeout(60_000);

describeOnEachDatabase('DatabaseArtifactStore', db => {
  it('creates artifacts once per (processor, id)', async () => {
    const { artifacts } = db.stores;
    const created = await artifacts.createArtifact({ ...base, id: 'lodash', filter: '^4', filterType: 'semver', createdBy: 'user:default/jane' });
    expect(created).toMatchObject({
      processor: 'npm',
      id: 'lodash',
      filter: '^4',
      filterType: 'semver',
      root: true,
      status: 'pending',
      createdBy: 'user:default/jane',
    });
    expect(new Date(created.createdAt).getTime()).not.toBeNaN();
    await expect(artifacts.createArtifact({ ...base, id: 'lodash' })).rejects.toThrow(ConflictError);
    const ensured = await artifacts.ensureArtifact({ ...base, id: 'lodash', root: false });
    expect(ensured.ref).toBe(created.ref);
    expect(ensured.root).toBe(true);
  });

  it('lists with filters, search, pagination, a total and permission filters', async () => {
    const { artifacts } = db.stores;
    for (const id of ['a-one', 'b-two', 'c-three', '@types/node']) {
      await artifacts.createArtifact({ ...base, id, root: id !== 'b-two' });
    }
    await artifacts.createArtifact({ ...base, processor: 'pypi', id: 'requests' });

    const page1 = await artifacts.listArtifacts({ limit: 2, offset: 0 });
    const page2 = await artifacts.listArtifacts({ limit: 2, offset: 2 });
    const page3 = await artifacts.listArtifacts({ limit: 2, offset: 4 });
    expect(page1.total).toBe(5);
    expect([...page1.items, ...page2.items, ...page3.items].map(a => `${a.processor}:${a.id}`)).toEqual([
      'npm:@types/node',
      'npm:a-one',
      'npm:b-two',
      'npm:c-three',
      'pypi:requests',
    ]);

    const search = await artifacts.listArtifacts({ search: 'T', limit: 10, offset: 0 });
    expect(search.items.map(a => a.id)).toEqual(['@types/node', 'b-two', 'c-three', 'requests']);
    // LIKE wildcards in the search are taken literally.
    expect((await artifacts.listArtifacts({ search: '_', limit: 10, offset: 0 })).total).toBe(0);

    const roots = await artifacts.listArtifacts({ root: false, limit: 10, offset: 0 });
    expect(roots.items.map(a => a.id)).toEqual(['b-two']);

    const conditional = await artifacts.listArtifacts({
      limit: 10,
      offset: 0,
      filter: {
        anyOf: [
          { key: 'processor', values: ['pypi'] },
          { allOf: [{ key: 'root', value: false }, { not: { key: 'processor', values: ['pypi'] } }] },
        ],
      },
    });
    expect(conditional.items.map(a => a.id)).toEqual(['b-two', 'requests']);
    expect(conditional.total).toBe(2);
    expect((await artifacts.listAllArtifacts({ rootsOnly: true })).map(a => a.id)).toEqual([
      '@types/node',
      'a-one',
      'c-three',
      'requests',
    ]);
  });

  it('lists artifacts as the API shows them, without the internal key and validators', async () => {
    const { artifacts } = db.stores;
    const created = await artifacts.createArtifact({ ...base, id: 'listed' });
    await artifacts.recordDiscovery(created.ref, { runId: 'run-1', status: 'ok', validators: { etag: '"v1"' }, tags: { latest: '1.0.0' } });
    const stored = await artifacts.getArtifact('npm', 'listed');
    expect(stored).toMatchObject({ ref: created.ref, validators: { etag: '"v1"' } });
    const { ref: _ref, validators: _validators, tags: _tags, ...listed } = stored!;
    expect((await artifacts.listArtifacts({ limit: 10, offset: 0 })).items).toEqual([listed]);
  });

  it('updates an artifact, forgetting validators when its config changes', async () => {
    const { artifacts } = db.stores;
    const created = await artifacts.createArtifact({ ...base, id: 'patched' });
    await artifacts.recordDiscovery(created.ref, { runId: 'r1', status: 'ok', validators: { etag: '"1"' } });
    expect((await artifacts.getArtifact('npm', 'patched'))?.validators).toEqual({ etag: '"1"' });
    const updated = await artifacts.updateArtifact(created.ref, { filter: '^2', filterType: 'semver', root: false });
    expect(updated).toMatchObject({ filter: '^2', filterType: 'semver', root: false, validators: { etag: '"1"' } });
    const reconfigured = await artifacts.updateArtifact(created.ref, { config: { registry: 'x' }, filter: null });
    expect(reconfigured).toMatchObject({ config: { registry: 'x' }, filter: undefined });
    expect(reconfigured.validators).toBeUndefined();
    await expect(artifacts.updateArtifact(created.ref + 1000, { root: true })).rejects.toThrow(NotFoundError);
  });

  it('records discovery warnings, replaces them, and clears them', async () => {
    const { artifacts } = db.stores;
    const stored = await artifacts.createArtifact({ ...base, processor: 'npm', id: 'warned', root: true });
    await artifacts.recordDiscovery(stored.ref, { runId: 'r1', status: 'ok', warnings: ['a', 'b'] });
    expect((await artifacts.getArtifact('npm', 'warned'))?.warnings).toEqual(['a', 'b']);
    // A 304 passes none and changes nothing.
    await artifacts.recordDiscovery(stored.ref, { runId: 'r2', status: 'ok' });
    expect((await artifacts.getArtifact('npm', 'warned'))?.warnings).toEqual(['a', 'b']);
    await artifacts.recordDiscovery(stored.ref, { runId: 'r3', status: 'ok', warnings: [] });
    expect((await artifacts.getArtifact('npm', 'warned'))?.warnings).toBeUndefined();
  });

  it('records a discovery that changed nothing without writing', async () => {
    const { artifacts } = db.stores;
    const stored = await artifacts.createArtifact({ ...base, id: 'quiet' });
    await artifacts.recordDiscovery(stored.ref, { runId: 'r1', status: 'ok', tags: { latest: '1.0.0' } });
    const recorded = (await artifacts.getArtifact('npm', 'quiet'))!;
    expect(recorded).toMatchObject({ status: 'ok', lastRunId: 'r1', tags: { latest: '1.0.0' } });
    const rows = db.stores.writes.rows;
    await artifacts.recordDiscovery(stored.ref, { runId: 'r2', status: 'ok', tags: { latest: '1.0.0' } });
    expect(db.stores.writes.rows).toBe(rows);
    expect((await artifacts.getArtifact('npm', 'quiet'))!.lastRunId).toBe('r1');
  });

  it('counts versions and the files of selected versions', async () => {
    const { artifacts, versions, files } = db.stores;
    const artifact = await artifacts.createArtifact({ ...base, id: 'counted' });
    await versions.syncVersions(artifact.ref, [npmVersion('1.0.0'), npmVersion('2.0.0')]);
    await versions.setSelection(artifact.ref, [{ version: '1.0.0', status: 'selected', selection: [] }]);
    const [file] = await files.listFilesToQueue({ staleAfterMs: 0 });
    await files.markCollected(file.ref, { size: 42, digest: 'x', storageKey: file.storageKey });
    expect(await artifacts.countArtifact(artifact.ref)).toEqual({
      versions: 2,
      selectedVersions: 1,
      files: 1,
      collected: 1,
      failed: 0,
      bytes: 42,
    });
  });
});
