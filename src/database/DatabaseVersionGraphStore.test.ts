import { describeOnEachDatabase, npmVersion as version, rootArtifact as base } from './__testUtils__/storeFixtures';

jest.setTimeout(60_000);

describeOnEachDatabase('DatabaseVersionGraphStore', db => {
  it('syncs versions idempotently and writes nothing when nothing changed', async () => {
    const store = db.stores.versions;
    const artifact = await db.stores.artifacts.createArtifact({ ...base, id: 'pkg' });
    const first = await store.syncVersions(artifact.ref, [version('1.0.0', [['dep', '^1']]), version('1.1.0')]);
    expect(first).toMatchObject({ versionsAdded: 2, filesAdded: 2, dependenciesAdded: 1 });

    const before = db.stores.writes.rows;
    const again = await store.syncVersions(artifact.ref, [version('1.0.0', [['dep', '^1']]), version('1.1.0')]);
    expect(again.rowsWritten).toBe(0);
    expect(db.stores.writes.rows).toBe(before);

    const more = await store.syncVersions(artifact.ref, [version('1.0.0', [['dep', '^1']]), version('1.1.0'), version('2.0.0', [['dep', '^2']])]);
    expect(more).toMatchObject({ versionsAdded: 1, filesAdded: 1, dependenciesAdded: 1 });
    expect(db.stores.writes.rows).toBe(before + more.rowsWritten);

    const versions = await store.getVersions(artifact.ref);
    expect(versions.map(v => [v.version, v.dependencies.map(d => d.range)])).toEqual([
      ['1.0.0', ['^1']],
      ['1.1.0', []],
      ['2.0.0', ['^2']],
    ]);
  });

  it("keeps a version's upstream record verbatim, rewriting it only when the upstream changes it", async () => {
    const store = db.stores.versions;
    const artifact = await db.stores.artifacts.createArtifact({ ...base, id: 'pkg' });
    const line = (yanked: boolean) => `{"name":"pkg","vers":"1.0.0","yanked":${yanked},"note":"ü \\u00fc"}`;
    await store.syncVersions(artifact.ref, [{ ...version('1.0.0'), metadata: line(false) }, version('1.1.0')]);
    const stored = async () =>
      Object.fromEntries(
        (await db.knex('artifact_versions').where({ artifact_ref: artifact.ref }).select('version', 'metadata')).map(
          (r: { version: string; metadata: string | null }) => [r.version, r.metadata],
        ),
      );
    expect(await stored()).toEqual({ '1.0.0': line(false), '1.1.0': null });

    const same = await store.syncVersions(artifact.ref, [{ ...version('1.0.0'), metadata: line(false) }, version('1.1.0')]);
    expect(same.rowsWritten).toBe(0);
    const yanked = await store.syncVersions(artifact.ref, [{ ...version('1.0.0'), metadata: line(true) }, version('1.1.0')]);
    expect(yanked.rowsWritten).toBe(1);
    expect(await stored()).toEqual({ '1.0.0': line(true), '1.1.0': null });
  });

  it('selects versions, records resolutions and counts', async () => {
    const store = db.stores.versions;
    const artifact = await db.stores.artifacts.createArtifact({ ...base, id: 'pkg' });
    await store.syncVersions(artifact.ref, [version('1.0.0', [['dep', '^1']]), version('2.0.0')]);
    const reasons = [{ type: 'filter' as const, filter: '^1' }];
    expect(await store.setSelection(artifact.ref, [{ version: '1.0.0', status: 'selected', selection: reasons }])).toBe(1);
    expect(await store.setSelection(artifact.ref, [{ version: '1.0.0', status: 'selected', selection: reasons }])).toBe(0);

    // A scoped run adds to what is selected.
    const required = { type: 'required-by' as const, processor: 'npm', id: 'x', version: '1.0.0', range: '^2' };
    await store.setSelection(artifact.ref, [{ version: '2.0.0', status: 'selected', selection: [required] }], { replace: false });
    let page = await store.listVersions(artifact.ref, { status: 'selected', limit: 10, offset: 0 });
    expect(page.items.map(v => v.version).sort()).toEqual(['1.0.0', '2.0.0']);

    // A full run replaces it.
    await store.setSelection(artifact.ref, [{ version: '1.0.0', status: 'selected', selection: reasons }]);
    page = await store.listVersions(artifact.ref, { status: 'selected', limit: 10, offset: 0 });
    expect(page.items).toEqual([expect.objectContaining({ version: '1.0.0', selection: reasons })]);

    expect(
      await store.setResolutions(artifact.ref, [
        { version: '1.0.0', processor: 'npm', id: 'dep', kind: 'runtime', range: '^1', resolved: [], unresolvable: 'no version satisfies ^1' },
      ]),
    ).toBe(1);
    expect(await store.listArtifactDependencies(artifact.ref)).toEqual([
      expect.objectContaining({ id: 'dep', range: '^1', unresolvable: 'no version satisfies ^1' }),
    ]);

    expect(await db.stores.artifacts.countArtifact(artifact.ref)).toEqual({
      versions: 2,
      selectedVersions: 1,
      files: 1,
      collected: 0,
      failed: 0,
      bytes: 0,
    });
  });

  it('lists versions newest first and the files of one version', async () => {
    const store = db.stores.versions;
    const artifact = await db.stores.artifacts.createArtifact({ ...base, id: 'paged' });
    await store.syncVersions(artifact.ref, [version('1.0.0'), version('1.1.0'), version('1.2.0')]);
    const page = await store.listVersions(artifact.ref, { limit: 2, offset: 0 });
    expect(page).toMatchObject({ total: 3, items: [{ version: '1.2.0' }, { version: '1.1.0' }] });
    expect(await store.listFiles(artifact.ref, '1.1.0', { limit: 10, offset: 0 })).toEqual({
      total: 1,
      items: [expect.objectContaining({ name: 'pkg-1.1.0.tgz', status: 'pending', collected: false, attempts: 0 })],
    });
    expect(await store.listFiles(artifact.ref, '1.1.0', { status: 'collected', limit: 10, offset: 0 })).toEqual({
      total: 0,
      items: [],
    });
    expect(await store.listFiles(artifact.ref, '9.9.9', { limit: 10, offset: 0 })).toBeUndefined();
  });

  it('lists the same by the artifact\'s key as by its ref, in one statement each', async () => {
    const store = db.stores.versions;
    const artifact = await db.stores.artifacts.createArtifact({ ...base, id: 'keyed' });
    await db.stores.artifacts.createArtifact({ ...base, id: 'other' });
    await store.syncVersions(artifact.ref, [version('1.0.0'), version('1.1.0')]);
    const key = { processor: artifact.processor, id: 'keyed' };
    const statements: string[] = [];
    const record = (q: { sql: string }) => statements.push(q.sql);
    db.knex.on('query', record);
    try {
      expect(await store.listVersions(key, { limit: 10, offset: 0 })).toEqual(
        await store.listVersions(artifact.ref, { limit: 10, offset: 0 }),
      );
      expect(await store.listFiles(key, '1.0.0', { limit: 10, offset: 0 })).toEqual(
        await store.listFiles(artifact.ref, '1.0.0', { limit: 10, offset: 0 }),
      );
      // A last page carries its total: no count, no lookup of the artifact first.
      expect(statements).toHaveLength(4);
    } finally {
      db.knex.removeListener('query', record);
    }
    expect(await store.listVersions({ ...key, id: 'missing' }, { limit: 10, offset: 0 })).toEqual({ items: [], total: 0 });
    expect(await store.listFiles({ ...key, id: 'missing' }, '1.0.0', { limit: 10, offset: 0 })).toBeUndefined();
    expect(await store.listFiles({ ...key, id: 'other' }, '1.0.0', { limit: 10, offset: 0 })).toBeUndefined();
  });

  it('lists the versions with their admission verdicts and approvals, in one statement', async () => {
    const store = db.stores.versions;
    const artifact = await db.stores.artifacts.createArtifact({ ...base, id: 'admitted' });
    await store.syncVersions(artifact.ref, [version('1.0.0'), version('1.1.0'), version('2.0.0')]);
    const wait = { check: 'license', decision: 'pending-approval' as const, reason: 'unknown license' };
    await db.stores.admissions.recordVerdicts(artifact.ref, [
      { version: '1.0.0', verdict: { decision: 'allow', reasons: [], revision: 'r1' } },
      { version: '1.1.0', verdict: { decision: 'pending-approval', reasons: [wait], revision: 'r1' } },
    ]);
    const at = '2026-11-30T08:00:00.000Z';
    await db.stores.admissions.setApproval(artifact.ref, '1.1.0', {
      approval: { decision: 'approved', by: 'user:default/lead', at, comment: 'checked by hand' },
      verdict: { decision: 'allow', reasons: [wait], revision: 'r1' },
      status: 'selected',
    });
    const statements: string[] = [];
    const record = (q: { sql: string }) => statements.push(q.sql);
    db.knex.on('query', record);
    let page;
    try {
      page = await store.listVersions(artifact.ref, { limit: 10, offset: 0 });
    } finally {
      db.knex.removeListener('query', record);
    }
    expect(statements).toHaveLength(1);
    const byVersion = Object.fromEntries(page.items.map(v => [v.version, v]));
    expect(page.items.map(v => v.version)).toEqual(['2.0.0', '1.1.0', '1.0.0']);
    expect(byVersion['2.0.0']).not.toHaveProperty('admission');
    expect(byVersion['1.0.0'].admission).toEqual({ decision: 'allow', reasons: [], decidedAt: expect.any(String) });
    expect(byVersion['1.1.0'].admission).toEqual({
      decision: 'allow',
      reasons: [wait],
      decidedAt: at,
      approval: { decision: 'approved', by: 'user:default/lead', at, comment: 'checked by hand' },
    });
    // The same as the admission store's records say.
    const records = await db.stores.admissions.listAdmissions(artifact.ref);
    for (const v of ['1.0.0', '1.1.0']) {
      const { decision, reasons, decidedAt, approval } = records.get(v)!;
      expect(byVersion[v].admission).toEqual({ decision, reasons, decidedAt, ...(approval ? { approval } : {}) });
    }
  });

  it('merges the resolutions of the selected versions that declare one dependency', async () => {
    const store = db.stores.versions;
    const artifact = await db.stores.artifacts.createArtifact({ ...base, id: 'merged' });
    await store.syncVersions(artifact.ref, [version('1.0.0', [['dep', '^1']]), version('1.1.0', [['dep', '^1']])]);
    await store.setSelection(artifact.ref, [
      { version: '1.0.0', status: 'selected', selection: [] },
      { version: '1.1.0', status: 'selected', selection: [] },
    ]);
    await store.setResolutions(artifact.ref, [
      { version: '1.0.0', processor: 'npm', id: 'dep', kind: 'runtime', range: '^1', resolved: ['1.0.0'] },
      { version: '1.1.0', processor: 'npm', id: 'dep', kind: 'runtime', range: '^1', resolved: ['1.2.0'] },
    ]);
    const [dependency] = await store.listArtifactDependencies(artifact.ref);
    expect(dependency.resolved.sort()).toEqual(['1.0.0', '1.2.0']);
  });

  it('refreshes the planner statistics once many rows were written, and not again before more are', async () => {
    const artifact = await db.stores.artifacts.createArtifact({ ...base, id: 'large' });
    // 2500 versions with a file each: 5000 rows.
    const many = Array.from({ length: 2500 }, (_, i) => version(`0.0.${i}`));
    const statements: string[] = [];
    const record = (query: { sql: string }) => statements.push(query.sql);
    const analyzes = () => statements.filter(sql => sql.startsWith('ANALYZE')).length;
    db.knex.on('query', record);
    try {
      await db.stores.versions.syncVersions(artifact.ref, many);
      await db.stores.versions.refreshStatistics();
      expect(analyzes()).toBe(1);
      await db.stores.versions.refreshStatistics();
      expect(analyzes()).toBe(1);
    } finally {
      db.knex.removeListener('query', record);
    }
  });
});
