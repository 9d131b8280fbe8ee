import { describeOnEachDatabase, npmVersion, rootArtifact as base } from '../__testUtils__/storeFixtures';
import {
  getCollectedArtifact,
  getCollectedStorageKey,
  listCollectedArtifactIds,
  listCollectedFiles,
  listTouchedArtifacts,
} from './exportContents';

jest.setTimeout(60_000);

const T1 = '2026-01-01T00:00:00.000Z';
const T2 = '2026-02-01T00:00:00.000Z';
const T3 = '2026-03-01T00:00:00.000Z';

describeOnEachDatabase('export contents', db => {
  /** Refs of the collected files by `id@version`. */
  let files: Record<string, number>;
  let refs: Record<string, number>;

  beforeEach(async () => {
    files = {};
    refs = {};
    // id, processor, versions with the time their file was collected (undefined: not collected).
    const seeds: Array<[string, string, Array<[string, string | undefined]>]> = [
      ['app', 'npm', [['1.0.0', T1], ['2.0.0', T2], ['3.0.0', undefined]]],
      ['lib', 'npm', [['1.0.0', T3]]],
      ['requests', 'pypi', [['2.31.0', T2]]],
    ];
    for (const [id, processor, versions] of seeds) {
      const artifact = await db.stores.artifacts.createArtifact({ ...base, processor, id });
      refs[id] = artifact.ref;
      await db.stores.versions.syncVersions(artifact.ref, versions.map(([v]) => npmVersion(v, id === 'app' ? [['lib', '^1']] : [])));
      for (const [v, at] of versions) {
        if (!at) continue;
        const [row] = await db.knex('artifact_files as f')
          .join('artifact_versions as v', 'v.ref', 'f.version_ref')
          .where({ 'v.artifact_ref': artifact.ref, 'v.version': v })
          .select('f.ref', 'f.storage_key');
        await db.stores.files.markCollected(row.ref, { size: 10, digest: 'ab'.repeat(32), storageKey: row.storage_key });
        await db.knex('artifact_files').where({ ref: row.ref }).update({ collected_at: at });
        files[`${id}@${v}`] = row.ref;
      }
    }
    await db.stores.versions.setResolutions(refs.app, [
      { version: '1.0.0', processor: 'npm', id: 'lib', kind: 'runtime', range: '^1', resolved: [], unresolvable: 'an outage' },
    ]);
  });

  it('pages the files collected in a window by ref', async () => {
    const all = { until: T3 };
    const first = await listCollectedFiles(db.knex, all, { limit: 2 });
    const rest = await listCollectedFiles(db.knex, all, { after: first[first.length - 1], limit: 2 });
    expect([...first, ...rest].map(f => `${f.artifactId}@${f.version}`)).toEqual([
      'app@1.0.0',
      'app@2.0.0',
      'lib@1.0.0',
      'requests@2.31.0',
    ]);
    expect(first[0]).toEqual({
      ref: files['app@1.0.0'],
      storageKey: 'files/npm/app/1.0.0/pkg-1.0.0.tgz',
      name: 'pkg-1.0.0.tgz',
      processor: 'npm',
      artifactRef: refs.app,
      artifactId: 'app',
      version: '1.0.0',
      size: 10,
      collectedAt: T1,
      sha256: 'ab'.repeat(32),
      integrity: { algorithm: 'sha512', digest: 'd1.0.0' },
      verified: true,
    });
    // A delta: after its lower bound, up to and including its cut-off, of some processors.
    const delta = await listCollectedFiles(db.knex, { after: T1, until: T2, processors: ['npm'] }, { limit: 10 });
    expect(delta.map(f => `${f.artifactId}@${f.version}`)).toEqual(['app@2.0.0']);
  });

  it('pages the artifacts a window touches, and the ids of a processor', async () => {
    const touched = await listTouchedArtifacts(db.knex, { after: T1, until: T3 }, { limit: 2 });
    expect(touched).toEqual([
      { ref: refs.app, processor: 'npm', id: 'app' },
      { ref: refs.lib, processor: 'npm', id: 'lib' },
    ]);
    expect(await listTouchedArtifacts(db.knex, { after: T1, until: T3 }, { afterRef: refs.lib, limit: 2 })).toEqual([
      { ref: refs.requests, processor: 'pypi', id: 'requests' },
    ]);
    expect(await listCollectedArtifactIds(db.knex, 'npm', T2, { limit: 10 })).toEqual(['app']);
    expect(await listCollectedArtifactIds(db.knex, 'npm', T3, { afterId: 'app', limit: 10 })).toEqual(['lib']);
  });

  it('reads an artifact with what was collected up to a cut-off and the dependencies its versions declare', async () => {
    const app = await getCollectedArtifact(db.knex, refs.app, T1);
    expect(app).toEqual({
      ref: refs.app,
      processor: 'npm',
      id: 'app',
      // The config it was discovered under, which layouts read (Helm's repository).
      config: {},
      tags: undefined,
      versions: [
        {
          version: '1.0.0',
          publishedAt: undefined,
          // As declared: a run's own resolution error is not carried.
          dependencies: [{ processor: 'npm', id: 'lib', range: '^1', kind: 'runtime', config: {}, resolved: [] }],
          files: [expect.objectContaining({ ref: files['app@1.0.0'], name: 'pkg-1.0.0.tgz' })],
        },
      ],
    });
    expect((await getCollectedArtifact(db.knex, refs.app, T3))!.versions.map(v => v.version)).toEqual(['1.0.0', '2.0.0']);
    expect(await getCollectedArtifact(db.knex, 424242, T3)).toBeUndefined();
  });

  it('reads the current key of a collected file only', async () => {
    const ref = files['lib@1.0.0'];
    expect(await getCollectedStorageKey(db.knex, ref)).toBe('files/npm/lib/1.0.0/pkg-1.0.0.tgz');
    await db.knex('artifact_files').where({ ref }).update({ storage_key: 'moved' });
    expect(await getCollectedStorageKey(db.knex, ref)).toBe('moved');
    await db.knex('artifact_files').where({ ref }).update({ collected: false });
    expect(await getCollectedStorageKey(db.knex, ref)).toBeUndefined();
  });

  it('reads an artifact by processor and id too', async () => {
    expect((await getCollectedArtifact(db.knex, { processor: 'npm', id: 'app' }, T3))!.ref).toBe(refs.app);
    expect(await getCollectedArtifact(db.knex, { processor: 'pypi', id: 'app' }, T3)).toBeUndefined();
  });

  it('leaves out of a delta the content-addressed objects collected before it, by whichever file', async () => {
    const object = (digest: string) => ({
      name: `blob:sha256:${digest}`,
      uri: `http://r.test/${digest}`,
      path: `blobs/sha256/${digest}`,
      integrity: { algorithm: 'sha256' as const, digest },
      contentAddressed: true,
    });
    const [old, fresh] = ['a'.repeat(64), 'b'.repeat(64)];
    const collect = async (id: string, digests: string[], at: string) => {
      const artifact = await db.stores.artifacts.createArtifact({ ...base, processor: 'oci', id });
      await db.stores.versions.syncVersions(artifact.ref, [{ version: '1', files: digests.map(object), dependencies: [] }]);
      const rows = await db.knex('artifact_files as f')
        .join('artifact_versions as v', 'v.ref', 'f.version_ref')
        .where('v.artifact_ref', artifact.ref)
        .select('f.ref', 'f.storage_key');
      for (const row of rows) {
        await db.stores.files.markCollected(row.ref, { size: 1, digest: 'x', storageKey: row.storage_key });
        await db.knex('artifact_files').where({ ref: row.ref }).update({ collected_at: at });
      }
    };
    await collect('r/first', [old], T1);
    await collect('r/second', [old, fresh], T2);
    const delta = await listCollectedFiles(db.knex, { after: T1, until: T3, processors: ['oci'] }, { limit: 10 });
    expect(delta.map(f => `${f.artifactId} ${f.name}`)).toEqual([`r/second blob:sha256:${fresh}`]);
    const full = await listCollectedFiles(db.knex, { until: T3, processors: ['oci'] }, { limit: 10 });
    expect(full).toHaveLength(3);
    expect((await listTouchedArtifacts(db.knex, { after: T1, until: T3, processors: ['oci'] }, { limit: 10 })).map(a => a.id)).toEqual([
      'r/second',
    ]);
  });
});
