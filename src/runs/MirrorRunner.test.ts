import { TestDatabases } from '@backstage/backend-test-utils';
import { MirrorHarness } from '../__testUtils__/mirrorHarness';
import { generateNpmPackageSet } from '../__testUtils__/npmPackageSet';
import { startVerdaccio, TestNpmRegistry } from '../__testUtils__/verdaccio';

// The runner over npm (PyPI and Maven: MirrorRunner.pypiMaven.test.ts). A
// generated package set stands in for the express closure of the real
// corpus (see corpusRuns.corpus.test.ts).

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
const generated = generateNpmPackageSet();

describe('MirrorRunner against an npm registry', () => {
  let registry: TestNpmRegistry;
  let harness: MirrorHarness;

  beforeAll(async () => {
    registry = await startVerdaccio(generated.packages);
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

  it('selects exactly the closure of a generated package set', async () => {
    const { name, version } = generated.root;
    await harness.addRoot({ processor: 'npm', id: name, filter: version, filterType: 'semver' });
    const run = await harness.run();
    expect(await harness.selectedPairs()).toEqual(generated.closure);
    expect(run.counters).toMatchObject({
      versionsSelected: generated.closure.length,
      filesQueued: generated.closure.length,
    });
  });

  it('resolves again what was unresolvable once the upstream has it, though the parent answers 304', async () => {
    await registry.publish({
      name: 'syn-app',
      versions: { '1.0.0': { dependencies: { 'syn-late': '^2.0.0', 'syn-unknown': '^1.0.0' } } },
    });
    await registry.publish({ name: 'syn-late', versions: { '1.0.0': {} } });
    await harness.addRoot({ processor: 'npm', id: 'syn-app' });
    await harness.run();
    const app = (await harness.stores.artifacts.getArtifact('npm', 'syn-app'))!;
    expect(await harness.stores.versions.listArtifactDependencies(app.ref)).toEqual([
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
    expect(await harness.stores.versions.listArtifactDependencies(app.ref)).toEqual([
      expect.objectContaining({ id: 'syn-late', resolved: ['2.0.0'], unresolvable: undefined }),
      expect.objectContaining({ id: 'syn-unknown', resolved: ['1.2.0'], unresolvable: undefined }),
    ]);
    expect(await harness.selectedPairs()).toEqual([
      'syn-app@1.0.0',
      'syn-late@2.0.0',
      'syn-unknown@1.2.0',
    ]);
  });

  it('keeps both versions a parent requires of one package under an alias, also after a 304', async () => {
    // Like @isaacs/cliui: string-width ^5 and string-width-cjs npm:string-width@^4.
    await registry.publish({ name: 'syn-width', versions: { '4.2.3': {}, '5.1.2': {} } });
    await registry.publish({
      name: 'syn-cliui',
      versions: {
        '8.0.2': { dependencies: { 'syn-width': '^5.1.2', 'syn-width-cjs': 'npm:syn-width@^4.2.0' } },
      },
    });
    await harness.addRoot({ processor: 'npm', id: 'syn-cliui' });
    await harness.run();
    const expected = ['syn-cliui@8.0.2', 'syn-width@4.2.3', 'syn-width@5.1.2'];
    expect(await harness.selectedPairs()).toEqual(expected);
    const cliui = (await harness.stores.artifacts.getArtifact('npm', 'syn-cliui'))!;
    const dependencies = async () =>
      (await harness.stores.versions.listArtifactDependencies(cliui.ref)).map(d => `${d.id} ${d.range} -> ${d.resolved}`);
    expect(await dependencies()).toEqual(['syn-width ^4.2.0 -> 4.2.3', 'syn-width ^5.1.2 -> 5.1.2']);

    const notModified = harness.upstream.counters.notModified;
    await harness.run();
    expect(harness.upstream.counters.notModified - notModified).toBe(2);
    expect(await harness.selectedPairs()).toEqual(expected);
    expect(await dependencies()).toEqual(['syn-width ^4.2.0 -> 4.2.3', 'syn-width ^5.1.2 -> 5.1.2']);
  });

  it('after a 304, walks a version selected for the first time with its stored dependencies', async () => {
    await registry.publish({ name: 'syn-left', versions: { '1.0.0': {} } });
    await registry.publish({ name: 'syn-right', versions: { '1.0.0': {} } });
    await registry.publish({
      name: 'syn-switch',
      versions: {
        '1.0.0': { dependencies: { 'syn-left': '^1.0.0' } },
        '2.0.0': { dependencies: { 'syn-right': '^1.0.0' } },
      },
    });
    const root = await harness.addRoot({ processor: 'npm', id: 'syn-switch', filter: '1.0.0', filterType: 'semver' });
    await harness.run();
    expect(await harness.selectedPairs()).toEqual(['syn-left@1.0.0', 'syn-switch@1.0.0']);

    // Only the selected version's dependencies are read up front after a
    // 304; 2.0.0's come from the store when the walk selects it.
    await harness.stores.artifacts.updateArtifact(root.ref, { filter: '2.0.0' });
    // syn-switch answers 304; so does syn-left, asked ahead of the walk
    // since the last run reached it, though this one no longer does.
    const notModified = harness.upstream.counters.notModified;
    await harness.run();
    expect(harness.upstream.counters.notModified - notModified).toBe(2);
    expect(await harness.selectedPairs()).toEqual(['syn-right@1.0.0', 'syn-switch@2.0.0']);
    // Deselected now, syn-left is not asked ahead again.
    const again = harness.upstream.counters.notModified;
    await harness.run();
    expect(harness.upstream.counters.notModified - again).toBe(2);
  });

  it('applies semver ranges and regular expressions as root filters', async () => {
    await registry.publish({
      name: 'syn-framework',
      versions: { '4.20.0': {}, '4.21.0': {}, '4.21.1': {}, '4.21.2': {}, '4.22.0': {}, '5.0.0': {} },
    });
    await registry.publish({
      name: 'syn-negotiate',
      versions: { '1.3.6': {}, '1.3.7': {}, '1.3.8': {}, '1.3.80': {}, '2.0.0': {} },
    });
    await harness.addRoot({ processor: 'npm', id: 'syn-framework', filter: '~4.21.0', filterType: 'semver', dependencyPolicy: 'none' });
    await harness.addRoot({ processor: 'npm', id: 'syn-negotiate', filter: '^1\\.3\\.[78]$', filterType: 'regex', dependencyPolicy: 'none' });
    await harness.run();
    expect(await harness.selectedPairs()).toEqual([
      'syn-framework@4.21.0',
      'syn-framework@4.21.1',
      'syn-framework@4.21.2',
      'syn-negotiate@1.3.7',
      'syn-negotiate@1.3.8',
    ]);
  });

  it('adds selections in a scoped run and decides them anew in a full run', async () => {
    await registry.publish({
      name: 'syn-shared',
      versions: { '1.0.0': {}, '1.1.0': {}, '2.0.0': {}, '2.1.0': {} },
    });
    await registry.publish({ name: 'syn-one', versions: { '1.0.0': { dependencies: { 'syn-shared': '^1.0.0' } } } });
    await registry.publish({ name: 'syn-two', versions: { '1.0.0': { dependencies: { 'syn-shared': '~2.0.0' } } } });
    const one = await harness.addRoot({ processor: 'npm', id: 'syn-one' });
    // Collect as the plugin does, so that the scoped run finds nothing of
    // syn-one's left to queue.
    await harness.startCollecting();
    await harness.run();
    await harness.waitForCollection();
    expect(await harness.selectedPairs()).toEqual(['syn-one@1.0.0', 'syn-shared@1.1.0']);

    // What POST /artifacts does: a root, then a run scoped to it.
    await harness.addRoot({ processor: 'npm', id: 'syn-two' });
    const scoped = await harness.run({ trigger: 'artifact', scope: { processor: 'npm', id: 'syn-two' } });
    expect(scoped.counters).toMatchObject({ artifacts: 2, versionsSelected: 2, filesQueued: 2 });
    expect(await harness.selectedPairs()).toEqual([
      'syn-one@1.0.0',
      'syn-shared@1.1.0',
      'syn-shared@2.0.0',
      'syn-two@1.0.0',
    ]);
    const shared = (await harness.stores.artifacts.getArtifact('npm', 'syn-shared'))!;
    const reasons = async () =>
      Object.fromEntries(
        (await harness.stores.versions.getVersions(shared.ref))
          .filter(v => v.status === 'selected')
          .map(v => [v.version, v.selection]),
      );
    expect(await reasons()).toEqual({
      '1.1.0': [{ type: 'required-by', processor: 'npm', id: 'syn-one', version: '1.0.0', range: '^1.0.0' }],
      '2.0.0': [{ type: 'required-by', processor: 'npm', id: 'syn-two', version: '1.0.0', range: '~2.0.0' }],
    });

    // Once syn-one is gone, a scoped run still only adds ...
    await harness.stores.artifacts.deleteArtifact(one.ref);
    await harness.run({ trigger: 'manual', scope: { processor: 'npm', id: 'syn-two' } });
    expect(await harness.selectedPairs()).toContain('syn-shared@1.1.0');
    // ... and a full run deselects what no root needs any more.
    await harness.run();
    expect(await harness.selectedPairs()).toEqual(['syn-shared@2.0.0', 'syn-two@1.0.0']);
    expect(Object.keys(await reasons())).toEqual(['2.0.0']);
  });

  it('refuses to scope a run to a dependency, which has no filter of its own', async () => {
    await registry.publish({
      name: 'syn-content',
      versions: { '1.3.8': { dependencies: { 'syn-types': '~2.1.34', 'syn-negotiator': '0.6.3' } } },
    });
    await registry.publish({ name: 'syn-types', versions: { '2.1.35': { dependencies: { 'syn-db': '1.52.0' } } } });
    await registry.publish({ name: 'syn-db', versions: { '1.52.0': {}, '1.53.0': {} } });
    await registry.publish({ name: 'syn-negotiator', versions: { '0.6.3': {}, '1.0.0': {} } });
    await harness.addRoot({ processor: 'npm', id: 'syn-content', filter: '1.3.8' });
    await harness.run();
    const started = await harness.runs.startRun({
      trigger: 'manual',
      scope: { processor: 'npm', id: 'syn-negotiator' },
    });
    await harness.runs.drain();
    expect(await harness.stores.runs.getRun(started.id)).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('is not a root'),
    });
    expect(await harness.selectedPairs()).toEqual(['syn-content@1.3.8', 'syn-types@2.1.35', 'syn-db@1.52.0', 'syn-negotiator@0.6.3'].sort());
  });
});
