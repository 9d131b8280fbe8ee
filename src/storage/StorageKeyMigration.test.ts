import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { NotFoundError } from '@backstage/errors';
import { Knex } from 'knex';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { startS3rver, TestS3Server } from '../__testUtils__/s3rver';
import { readAll } from '../__testUtils__/streams';
import { BackpackStores, createBackpackStores } from '../database/createBackpackStores';
import { BlobStore } from './BlobStore';
import { fileStorageKey } from './fileStorageKey';
import { LocalDirectoryBlobStore } from './LocalDirectoryBlobStore';
import { S3BlobStore } from './S3BlobStore';
import { publicAccess } from '../views/ServeAccess';
import { PypiView } from '../views/pypiView';
import { StorageKeyMigration, storageKeyOf } from './StorageKeyMigration';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const sha512 = (data: Buffer) => createHash('sha512').update(data).digest('hex');

async function read(blobStore: BlobStore, key: string): Promise<Buffer | undefined> {
  const blob = await blobStore.get(key);
  return blob && readAll(blob.body);
}

/** A file as an earlier release recorded it: at `<processor>/<path>`. */
interface OldFile {
  processor: string;
  id: string;
  version: string;
  path: string;
  /** The bytes its upstream published (and its digest describes). */
  content: Buffer;
  /** Collected: its bytes were put at the old key (last writer wins). */
  collected?: boolean;
}

/** A file of the earlier layout; collected unless `collected` says otherwise. */
const oldFile = (
  processor: string,
  id: string,
  version: string,
  filePath: string,
  content: string,
  collected = true,
): OldFile => ({ processor, id, version, path: filePath, content: Buffer.from(content), collected });

const cases: Array<[string, 'local' | 's3']> = [
  ...databases.eachSupportedId().map(([id]): [string, 'local'] => [id, 'local']),
  ['SQLITE_3', 's3'],
];

describe.each(cases)('the storage key migration on %p with the %p blob store', (databaseId, blobKind) => {
  let knex: Knex;
  let stores: BackpackStores;
  let blobStore: BlobStore;
  let blobDir: string;
  let s3: TestS3Server | undefined;

  beforeAll(async () => {
    knex = await databases.init(databaseId as Parameters<typeof databases.init>[0]);
    stores = await createBackpackStores({ database: { getClient: async () => knex } });
    blobDir = await fs.mkdtemp(path.join(os.tmpdir(), 'backpack-key-migration-'));
    if (blobKind === 's3') {
      s3 = await startS3rver({ buckets: ['mirror'] });
      blobStore = new S3BlobStore({
        bucket: 'mirror',
        endpoint: s3.endpoint,
        forcePathStyle: true,
        credentials: s3.credentials,
      });
    } else {
      blobStore = new LocalDirectoryBlobStore({ directory: blobDir });
    }
  });

  afterAll(async () => {
    await s3?.close();
    await fs.rm(blobDir, { recursive: true, force: true });
  });

  /**
   * Writes what the earlier release left behind: rows at `<processor>/<path>`
   * and objects put there by its collector, in order, so a later file of the
   * same key overwrote an earlier one's bytes.
   */
  async function seedOldLayout(files: OldFile[]): Promise<Map<OldFile, number>> {
    const refs = new Map<OldFile, number>();
    for (const file of files) {
      const artifact = await stores.artifacts.ensureArtifact({
        processor: file.processor,
        id: file.id,
        config: {},
        root: true,
        dependencyPolicy: 'latest',
      });
      const name = file.path.slice(file.path.lastIndexOf('/') + 1);
      await stores.versions.syncVersions(artifact.ref, [
        {
          version: file.version,
          files: [
            {
              name: file.path.startsWith('packages/') ? file.path.slice('packages/'.length) : name,
              uri: `http://upstream.test/${file.id}/${file.path}`,
              path: file.path,
              integrity: { algorithm: 'sha512', digest: sha512(file.content) },
              size: file.content.length,
            },
          ],
          dependencies: [],
        },
      ]);
      await stores.versions.setSelection(artifact.ref, [{ version: file.version, status: 'selected', selection: [] }], {
        replace: false,
      });
      const row = await knex('artifact_files as f')
        .join('artifact_versions as v', 'v.ref', 'f.version_ref')
        .where({ 'v.artifact_ref': artifact.ref, 'v.version': file.version })
        .first('f.ref', 'f.name');
      const oldKey = storageKeyOf(file.processor, file.path);
      // The earlier release's collector did not refuse names, and the
      // new sync parks some: undo that, as the old rows were.
      await knex('artifact_files')
        .where({ ref: row.ref })
        .update({ storage_key: oldKey, status: 'pending', error: null });
      if (file.collected) {
        await blobStore.put(oldKey, Readable.from([file.content]), {
          metadata: {
            integrity: `sha512-${sha512(file.content)}`,
            source: `http://upstream.test/${file.id}/${file.path}`,
          },
        });
        await stores.files.markCollected(row.ref, {
          size: file.content.length,
          digest: sha256(file.content),
          storageKey: oldKey,
        });
      }
      refs.set(file, row.ref);
    }
    return refs;
  }

  const rowOf = (ref: number) => knex('artifact_files').where({ ref }).first();
  const migration = () =>
    new StorageKeyMigration({ stores, blobStore, logger: mockServices.logger.mock(), graceMs: 0 });

  it('moves every file to its own key with its own verified bytes, resets the ones whose bytes were overwritten, and deletes old objects', async () => {
    const victim = oldFile('pypi', 'victim', '1.0', 'packages/victim-1.0.tar.gz', 'victim sdist\n');
    // Collected after the victim, to the same key: its bytes are the ones stored.
    const attacker: OldFile = {
      ...victim,
      id: 'attacker',
      content: Buffer.from('attacker payload\n'),
    };
    const npmOne = oldFile('npm', 'twotar', '1.0.0', 'twotar/-/twotar.tgz', 'tarball of 1.0.0');
    const npmTwo: OldFile = { ...npmOne, version: '2.0.0', content: Buffer.from('tarball of 2.0.0') };
    // Two artifacts whose processor chose one path for the same bytes.
    const twinA = oldFile('test', 'twin-a', '1', 'shared/good.bin', 'same bytes');
    const twinB: OldFile = { ...twinA, id: 'twin-b' };
    const plain = oldFile('maven', 'org.example:demo', '1.0', 'org/example/demo/1.0/demo-1.0.jar', 'jar');
    const pending = oldFile('npm', 'later', '1.0.0', 'later/-/later-1.0.0.tgz', 'not yet', false);
    const hostile = oldFile('pypi', 'attacker', '2.0', 'packages/victim2-1.0.tar.gz/x.tar.gz', 'hostile', false);
    const gone = oldFile('npm', 'gone', '1.0.0', 'gone/-/gone-1.0.0.tgz', 'deleted by hand');
    const all = [victim, attacker, npmOne, npmTwo, twinA, twinB, plain, pending, hostile, gone];
    const refs = await seedOldLayout(all);
    await blobStore.delete(storageKeyOf('npm', gone.path));

    const newKey = (file: OldFile) =>
      fileStorageKey({
        processor: file.processor,
        artifactId: file.id,
        version: file.version,
        name: (file === hostile ? 'victim2-1.0.tar.gz/x.tar.gz' : file.path.slice(file.path.lastIndexOf('/') + 1)),
      });

    // Two replicas at once.
    const results = await Promise.all([migration().run(), migration().run()]);
    const total = (name: keyof (typeof results)[0]) => results[0][name] + results[1][name];
    expect(total('moved')).toBe(5); // attacker, npm 2.0.0, both twins, the jar
    expect(total('reset')).toBe(3); // victim, npm 1.0.0, gone
    expect(total('rekeyed')).toBe(2); // pending, hostile
    expect(total('refused')).toBe(1);

    for (const file of all) {
      const row = await rowOf(refs.get(file)!);
      expect(row.storage_key).toBe(newKey(file));
    }
    // Each moved file has exactly its own bytes at its own key.
    for (const file of [attacker, npmTwo, twinA, twinB, plain]) {
      const row = await rowOf(refs.get(file)!);
      expect({ collected: Boolean(row.collected), digest: row.collected_digest }).toEqual({
        collected: true,
        digest: sha256(file.content),
      });
      expect(await read(blobStore, newKey(file))).toEqual(file.content);
      expect((await blobStore.head(newKey(file)))?.metadata.integrity).toBe(`sha512-${sha512(file.content)}`);
    }
    // The victims of overwritten keys lost nothing but an old object that
    // was not theirs: they are to be collected again, and nothing is at
    // their new keys.
    for (const file of [victim, npmOne]) {
      const row = await rowOf(refs.get(file)!);
      expect(row).toMatchObject({ status: 'pending', attempts: 0, collected_digest: null });
      expect(Boolean(row.collected)).toBe(false);
      expect(row.error).toMatch(/do not match the digest recorded at collection/);
      expect(await blobStore.head(newKey(file))).toBeUndefined();
    }
    expect((await rowOf(refs.get(gone)!)).error).toMatch(/stored bytes are missing/);
    expect(await rowOf(refs.get(pending)!)).toMatchObject({ status: 'pending', error: null });
    expect(await rowOf(refs.get(hostile)!)).toMatchObject({
      status: 'parked',
      error: expect.stringMatching(/^Refused: file name "victim2-1.0.tar.gz\/x.tar.gz" contains '\/'/),
    });
    const toQueue = await stores.files.listFilesToQueue({ staleAfterMs: 0 });
    expect(toQueue.map(f => `${f.artifactId}@${f.version}`).sort()).toEqual(
      ['gone@1.0.0', 'later@1.0.0', 'twotar@1.0.0', 'victim@1.0'].sort(),
    );

    // No row references an old key, and no old object is left.
    for (const file of all) {
      const oldKey = storageKeyOf(file.processor, file.path);
      expect(await knex('artifact_files').where({ storage_key: oldKey }).first()).toBeUndefined();
      expect(await blobStore.head(oldKey)).toBeUndefined();
    }

    // Idempotent: a further run finds nothing to do and changes nothing.
    const before = await knex('artifact_files').orderBy('ref');
    expect(await migration().run()).toEqual({ moved: 0, rekeyed: 0, reset: 0, refused: 0, deleted: 0 });
    expect(await knex('artifact_files').orderBy('ref')).toEqual(before);
  });

  it('moves a file a collector recorded under its old key after the file was re-keyed', async () => {
    const late = oldFile('npm', 'late', '1.0.0', 'late/-/late-1.0.0.tgz', 'late bytes', false);
    const ref = (await seedOldLayout([late])).get(late)!;
    const migrating = migration();
    expect(await migrating.run()).toMatchObject({ rekeyed: 1 });
    // A collector that read the row before it was re-keyed stores and
    // records it under the old key.
    const oldKey = storageKeyOf('npm', late.path);
    await blobStore.put(oldKey, Readable.from([late.content]), {
      metadata: { integrity: `sha512-${sha512(late.content)}` },
    });
    await stores.files.markCollected(ref, { size: late.content.length, digest: sha256(late.content), storageKey: oldKey });

    expect(await migrating.run()).toMatchObject({ moved: 1, deleted: 1 });
    const key = fileStorageKey({ processor: 'npm', artifactId: 'late', version: '1.0.0', name: 'late-1.0.0.tgz' });
    expect(await rowOf(ref)).toMatchObject({ storage_key: key });
    expect(await read(blobStore, key)).toEqual(late.content);
    expect(await blobStore.head(oldKey)).toBeUndefined();
  });

  it('leaves content-addressed files where their digest puts them', async () => {
    const content = Buffer.from('a shared layer');
    const digest = sha256(content);
    const key = `blobs/sha256/${digest}`;
    for (const id of ['local/one', 'local/two']) {
      const artifact = await stores.artifacts.ensureArtifact({
        processor: 'oci',
        id,
        config: {},
        root: true,
        dependencyPolicy: 'latest',
      });
      const blob = { name: `sha256:${digest}`, uri: 'http://r.test/b', path: 'b', integrity: { algorithm: 'sha256' as const, digest } };
      await stores.versions.syncVersions(artifact.ref, [
        { version: '1', files: [{ ...blob, contentAddressed: true }], dependencies: [] },
      ]);
    }
    await blobStore.put(key, Readable.from([content]), { metadata: { integrity: `sha256-${digest}` } });
    expect(await migration().run()).toEqual({ moved: 0, rekeyed: 0, reset: 0, refused: 0, deleted: 0 });
    expect(await knex('artifact_files').where({ storage_key: key })).toHaveLength(2);
    expect(await read(blobStore, key)).toEqual(content);
  });

  it('serves nothing from a shared old key that is not the file\'s own bytes, before the migration', async () => {
    const victim = oldFile('pypi', 'early-victim', '1.0', 'packages/early-1.0.tar.gz', 'victim bytes');
    const attacker: OldFile = { ...victim, id: 'early-attacker', content: Buffer.from('attacker bytes') };
    await seedOldLayout([victim, attacker]);
    const view = new PypiView({ stores, blobStore });

    const served = await view.file('early-attacker', '1.0', 'early-1.0.tar.gz', publicAccess);
    expect(await readAll((await served.open()).body)).toEqual(attacker.content);

    const poisoned = await view.file('early-victim', '1.0', 'early-1.0.tar.gz', publicAccess);
    await expect(poisoned.open()).rejects.toThrow(
      'early-1.0.tar.gz is not available until its stored bytes are verified again',
    );
    await expect(poisoned.size()).rejects.toThrow(NotFoundError);
  });
});
