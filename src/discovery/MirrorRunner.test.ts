import { TestDatabases } from '@backstage/backend-test-utils';
import fs from 'node:fs/promises';
import path from 'node:path';
import { MirrorHarness } from '../__testUtils__/mirrorHarness';
import {
  npmFixturesDir,
  startNpmCorpusVerdaccio,
  TestNpmRegistry,
} from '../__testUtils__/verdaccio';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

async function readClosure(name: string): Promise<string[]> {
  const text = await fs.readFile(
    path.join(npmFixturesDir, `npm-corpus.${name}.closure.txt`),
    'utf8',
  );
  return text.split('\n').filter(Boolean).sort();
}

describe('MirrorRunner against the npm corpus', () => {
  let registry: TestNpmRegistry;
  let harness: MirrorHarness;

  beforeAll(async () => {
    registry = await startNpmCorpusVerdaccio();
  });

  afterAll(async () => {
    await registry?.stop();
  });

  beforeEach(async () => {
    harness = await MirrorHarness.create(await databases.init('SQLITE_3'), {
      npm: registry.url,
    });
  });

  afterEach(async () => {
    await harness.close();
  });

  it('selects exactly the express@4.21.2 closure', async () => {
    await harness.addRoot({ processor: 'npm', id: 'express', filter: '4.21.2', filterType: 'semver' });
    const run = await harness.run();
    const closure = await readClosure('express');
    expect(await harness.selectedPairs()).toEqual(closure);
    expect(run.counters).toMatchObject({ versionsSelected: 72, filesQueued: 72 });
  });

  it('selects exactly the jest@29.7.0 closure', async () => {
    await harness.addRoot({ processor: 'npm', id: 'jest', filter: '29.7.0', filterType: 'semver' });
    // About 5 s on SQLite with 2 cores: 267 packuments, tens of thousands of rows.
    const run = await harness.run();
    expect(await harness.selectedPairs()).toEqual(await readClosure('jest'));
    expect(run.counters).toMatchObject({ versionsSelected: 289, filesQueued: 289 });
  });

  it('runs again against the unchanged registry with 304s, no writes and nothing queued', async () => {
    await harness.addRoot({ processor: 'npm', id: 'express', filter: '4.21.2', filterType: 'semver' });
    await harness.startCollecting();
    const first = await harness.run();
    expect(first.counters.filesQueued).toBe(72);
    // Every tarball of the closure is in the corpus, so all are collected.
    await harness.waitForCollection();
    expect(await harness.store.stats()).toEqual([
      { processor: 'npm', status: 'collected', files: 72, bytes: expect.any(Number) },
    ]);

    const rowsBefore = harness.store.writes.rows;
    const requestsBefore = { ...harness.upstream.counters };
    const artifactsBefore = await harness.store.listAllArtifacts();
    const second = await harness.run();

    // One conditional request per artifact, each answered 304.
    const requests = harness.upstream.counters.requests - requestsBefore.requests;
    expect(requests).toBe(70);
    expect(harness.upstream.counters.notModified - requestsBefore.notModified).toBe(requests);
    expect(harness.store.writes.rows).toBe(rowsBefore);
    expect(second.counters).toMatchObject({ artifacts: 70, versionsSelected: 72, filesQueued: 0 });
    // Not even the bookkeeping of the artifacts (last run, updated_at) moved.
    expect(await harness.store.listAllArtifacts()).toEqual(artifactsBefore);
    expect(await harness.selectedPairs()).toEqual(await readClosure('express'));
  });

  it('resolves again what was unresolvable once the upstream has it, though the parent answers 304', async () => {
    await registry.publish({
      name: 'syn-app',
      versions: { '1.0.0': { dependencies: { 'syn-late': '^2.0.0', 'syn-unknown': '^1.0.0' } } },
    });
    await registry.publish({ name: 'syn-late', versions: { '1.0.0': {} } });
    await harness.addRoot({ processor: 'npm', id: 'syn-app' });
    await harness.run();
    const app = (await harness.store.getArtifact('npm', 'syn-app'))!;
    expect(await harness.store.listArtifactDependencies(app.ref)).toEqual([
      expect.objectContaining({
        id: 'syn-late',
        resolved: [],
        unresolvable: "no version of 'syn-late' satisfies '^2.0.0'",
      }),
      expect.objectContaining({
        id: 'syn-unknown',
        resolved: [],
        unresolvable: expect.stringMatching(/^unknown package: /),
      }),
    ]);
    expect(await harness.selectedPairs()).toEqual(['syn-app@1.0.0']);

    await registry.publish({ name: 'syn-late', versions: { '1.0.0': {}, '2.0.0': {} } });
    await registry.publish({ name: 'syn-unknown', versions: { '1.2.0': {} } });
    const notModified = harness.upstream.counters.notModified;
    await harness.run();

    // syn-app itself did not change: its stored dependencies stood in.
    expect(harness.upstream.counters.notModified - notModified).toBe(1);
    expect(await harness.store.listArtifactDependencies(app.ref)).toEqual([
      expect.objectContaining({ id: 'syn-late', resolved: ['2.0.0'], unresolvable: undefined }),
      expect.objectContaining({ id: 'syn-unknown', resolved: ['1.2.0'], unresolvable: undefined }),
    ]);
    expect(await harness.selectedPairs()).toEqual([
      'syn-app@1.0.0',
      'syn-late@2.0.0',
      'syn-unknown@1.2.0',
    ]);
  });
});
