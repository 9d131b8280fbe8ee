import { NotFoundError } from '@backstage/errors';
import { ProcessorDependency, ProcessorVersion } from '../../processors/types';
import { describeOnEachDatabase, npmVersion, rootArtifact as base } from '../__testUtils__/storeFixtures';
import { syncVersions } from './syncVersions';

jest.setTimeout(60_000);

describeOnEachDatabase('syncVersions', db => {
  const filesOf = async (artifactRef: number, version: string) =>
    (await db.stores.versions.listFiles(artifactRef, version, { limit: 10, offset: 0 }))!.items;

  it("derives each file's key, records whether it is verified, and parks files it refuses", async () => {
    const artifact = await db.stores.artifacts.createArtifact({ ...base, processor: 'pypi', id: 'attacker' });
    const file = (name: string, path: string, digest?: string) => ({
      name,
      uri: `http://upstream.test/${path}`,
      path,
      ...(digest ? { integrity: { algorithm: 'sha256' as const, digest } } : {}),
    });
    await syncVersions(db.knex, artifact.ref, [
      {
        version: '1.0',
        files: [
          file('victim-1.0.tar.gz', 'packages/victim-1.0.tar.gz', 'a'.repeat(64)),
          file('victim2-1.0.tar.gz/x.tar.gz', 'packages/victim2-1.0.tar.gz/x.tar.gz', 'b'.repeat(64)),
          file('plain.tar.gz', 'packages/../plain.tar.gz', 'c'.repeat(64)),
          file('nodigest.tar.gz', 'packages/nodigest.tar.gz'),
        ],
        dependencies: [],
      },
      { version: '..', files: [file('dots.tar.gz', 'packages/dots.tar.gz', 'd'.repeat(64))], dependencies: [] },
    ]);
    const rows = Object.fromEntries(
      [...(await filesOf(artifact.ref, '1.0')), ...(await filesOf(artifact.ref, '..'))].map(f => [f.name, f]),
    );
    expect(rows['victim-1.0.tar.gz']).toMatchObject({
      storageKey: 'files/pypi/attacker/1.0/victim-1.0.tar.gz',
      folder: 'packages/victim-1.0.tar.gz',
      status: 'pending',
      verified: true,
    });
    expect(rows['nodigest.tar.gz']).toMatchObject({ status: 'pending', verified: false });
    expect(rows['victim2-1.0.tar.gz/x.tar.gz']).toMatchObject({
      storageKey: 'files/pypi/attacker/1.0/victim2-1.0.tar.gz%2fx.tar.gz',
      status: 'parked',
      error: expect.stringMatching(/^Refused: file name .* contains '\/'/),
    });
    expect(rows['plain.tar.gz']).toMatchObject({
      status: 'parked',
      error: expect.stringMatching(/^Refused: path .* has a segment that is '..'/),
    });
    expect(rows['dots.tar.gz']).toMatchObject({
      status: 'parked',
      error: expect.stringMatching(/^Refused: version ".." is '..'/),
    });
  });

  it('takes the new description of an uncollected file and never touches a collected one', async () => {
    const artifact = await db.stores.artifacts.createArtifact({ ...base, id: 'pkg' });
    await syncVersions(db.knex, artifact.ref, [npmVersion('1.0.0'), npmVersion('2.0.0')]);
    await db.stores.versions.setSelection(artifact.ref, [{ version: '2.0.0', status: 'selected', selection: [] }]);
    const [collected] = await db.stores.files.listFilesToQueue({ staleAfterMs: 0 });
    await db.stores.files.markCollected(collected.ref, { size: 1, digest: 'x', storageKey: collected.storageKey });

    const moved = (v: string) => {
      const version = npmVersion(v);
      version.files[0] = { ...version.files[0], uri: `http://mirror.test/${v}.tgz`, integrity: { algorithm: 'sha512', digest: 'new' } };
      return version;
    };
    const result = await syncVersions(db.knex, artifact.ref, [moved('1.0.0'), moved('2.0.0')]);
    expect(result).toEqual({ versionsAdded: 0, filesAdded: 0, dependenciesAdded: 0, rowsWritten: 1 });
    expect((await filesOf(artifact.ref, '1.0.0'))[0]).toMatchObject({
      uri: 'http://mirror.test/1.0.0.tgz',
      integrity: { algorithm: 'sha512', digest: 'new' },
    });
    expect((await filesOf(artifact.ref, '2.0.0'))[0]).toMatchObject({
      uri: 'http://registry.test/pkg/-/pkg-2.0.0.tgz',
      integrity: { digest: 'd2.0.0' },
      collected: true,
    });
  });

  it('keeps dependencies as the upstream declares them now, by range', async () => {
    const artifact = await db.stores.artifacts.createArtifact({ ...base, id: 'deps' });
    const withDeps = (deps: Array<Omit<ProcessorDependency, 'processor' | 'kind'>>): ProcessorVersion[] => [
      { ...npmVersion('1.0.0'), dependencies: deps.map(d => ({ processor: 'npm', kind: 'runtime', ...d })) },
    ];
    // An alias: one package under two ranges, both kept; a repeat counts once.
    expect(
      await syncVersions(db.knex, artifact.ref, withDeps([
        { id: 'a', range: '^1' },
        { id: 'a', range: '^2' },
        { id: 'a', range: '^2' },
        { id: 'b', range: '*' },
      ])),
    ).toMatchObject({ dependenciesAdded: 3 });
    // b is no longer declared, a@^2 now under another config and unresolvable.
    const result = await syncVersions(db.knex, artifact.ref, withDeps([
      { id: 'a', range: '^1' },
      { id: 'a', range: '^2', config: { targets: ['x'] }, unresolvable: 'a git URL' },
    ]));
    expect(result).toEqual({ versionsAdded: 0, filesAdded: 0, dependenciesAdded: 0, rowsWritten: 2 });
    const [version] = await db.stores.versions.getVersions(artifact.ref);
    const byRange = [...version.dependencies].sort((x, y) => x.range.localeCompare(y.range));
    expect(byRange.map(d => [d.id, d.range, d.config, d.declaredUnresolvable])).toEqual([
      ['a', '^1', {}, undefined],
      ['a', '^2', { targets: ['x'] }, 'a git URL'],
    ]);
  });

  it('stores content-addressed files once by digest, re-points one whose upstream names other bytes, and parks skipped files', async () => {
    const ca = (name: string, digest: string, skipped?: string) => ({
      name,
      uri: `http://registry.test/v2/app/blobs/sha256:${digest}`,
      path: `blobs/sha256:${digest}`,
      integrity: { algorithm: 'sha256' as const, digest },
      contentAddressed: true,
      ...(skipped ? { skipped } : {}),
    });
    const [a, b] = ['a'.repeat(64), 'b'.repeat(64)];
    const one = await db.stores.artifacts.createArtifact({ ...base, processor: 'oci', id: 'local/one' });
    const two = await db.stores.artifacts.createArtifact({ ...base, processor: 'oci', id: 'local/two' });
    await syncVersions(db.knex, one.ref, [
      { version: 'latest', files: [ca('tag:latest', a), ca(`sha256:${a}`, a), ca('foreign', 'c'.repeat(64), 'non-distributable')], dependencies: [] },
    ]);
    await syncVersions(db.knex, two.ref, [{ version: '1.0', files: [ca(`sha256:${a}`, a)], dependencies: [] }]);
    const keys = await db.knex('artifact_files').distinct('storage_key');
    expect(keys.map(k => k.storage_key).sort()).toEqual([`blobs/sha256/${a}`, `blobs/sha256/${'c'.repeat(64)}`]);
    const rows = Object.fromEntries((await filesOf(one.ref, 'latest')).map(f => [f.name, f]));
    expect(rows.foreign).toMatchObject({ status: 'parked', error: 'non-distributable', errorKind: 'permanent' });

    // Collected, then the tag moves: the pointer follows, the digest-named row stays.
    await db.stores.versions.setSelection(one.ref, [{ version: 'latest', status: 'selected', selection: [] }]);
    for (const file of await db.stores.files.listFilesToQueue({ artifactRefs: [one.ref], staleAfterMs: 0 })) {
      await db.stores.files.markCollected(file.ref, { size: 1, digest: a, storageKey: file.storageKey });
    }
    const result = await syncVersions(db.knex, one.ref, [
      { version: 'latest', files: [ca('tag:latest', b), ca(`sha256:${b}`, b)], dependencies: [] },
    ]);
    expect(result).toMatchObject({ filesAdded: 1, rowsWritten: 2 });
    const moved = Object.fromEntries((await filesOf(one.ref, 'latest')).map(f => [f.name, f]));
    expect(moved['tag:latest']).toMatchObject({
      storageKey: `blobs/sha256/${b}`,
      integrity: { digest: b },
      status: 'pending',
      collected: false,
    });
    expect(moved[`sha256:${a}`]).toMatchObject({ storageKey: `blobs/sha256/${a}`, collected: true });
    // Nothing changed: nothing written.
    expect(
      await syncVersions(db.knex, one.ref, [
        { version: 'latest', files: [ca('tag:latest', b), ca(`sha256:${b}`, b)], dependencies: [] },
      ]),
    ).toMatchObject({ rowsWritten: 0 });
  });

  it('inserts only the versions of a listing, leaving described files and dependencies alone', async () => {
    const artifact = await db.stores.artifacts.createArtifact({ ...base, id: 'listed' });
    await syncVersions(db.knex, artifact.ref, [npmVersion('1.0.0', [['dep', '^1']])]);
    const listing = [{ version: '1.0.0', files: [], dependencies: [] }, { version: '2.0.0', files: [], dependencies: [] }];
    const listed = await syncVersions(db.knex, artifact.ref, listing, { listingOnly: true });
    expect(listed).toEqual({
      versionsAdded: 1,
      filesAdded: 0,
      dependenciesAdded: 0,
      rowsWritten: 1,
      listed: new Map([
        ['1.0.0', { ref: expect.any(Number), described: true }],
        ['2.0.0', { ref: expect.any(Number), described: false }],
      ]),
    });
    const versions = await db.stores.versions.getVersions(artifact.ref);
    expect(versions.map(v => [v.version, v.dependencies.length, v.described])).toEqual([
      ['1.0.0', 1, true],
      ['2.0.0', 0, false],
    ]);
    expect(await filesOf(artifact.ref, '1.0.0')).toHaveLength(1);

    // Described later: its files and dependencies are stored, and it says so.
    expect(await syncVersions(db.knex, artifact.ref, [npmVersion('2.0.0', [['dep', '^2']])])).toEqual({
      versionsAdded: 0,
      filesAdded: 1,
      dependenciesAdded: 1,
      rowsWritten: 3,
    });
    const described = (await db.stores.versions.getVersions(artifact.ref)).find(v => v.version === '2.0.0')!;
    expect(described).toMatchObject({ described: true, dependencies: [expect.objectContaining({ range: '^2' })] });
  });

  it('refuses an artifact that is gone, writing nothing', async () => {
    await expect(syncVersions(db.knex, 123456, [npmVersion('1.0.0')])).rejects.toThrow(NotFoundError);
    expect(await db.knex('artifact_versions')).toEqual([]);
  });
});
