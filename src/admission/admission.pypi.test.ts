import { TestDatabases } from '@backstage/backend-test-utils';
import { JsonObject } from '@backstage/types';
import { MirrorHarness } from '../__testUtils__/mirrorHarness';
import { StaticRegistryServer } from '../__testUtils__/staticRegistryServer';
import { ago, DAY, HOUR, publishPypi } from './__testUtils__/admissionUpstream';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

describe.each(databases.eachSupportedId())('admission checks on PyPI data, %p', databaseId => {
  let pypi: StaticRegistryServer;
  let harness: MirrorHarness;

  beforeAll(async () => {
    pypi = await StaticRegistryServer.start();
    publishPypi(pypi, 'web-app', {
      '1.0': {
        license: 'Apache-2.0',
        requiresDist: ['fresh-lib>=1.0', 'gpl-lib>=1.0', 'big-lib>=1.0', 'gone-lib>=1.0', 'odd-lib>=1.0'],
      },
    });
    publishPypi(pypi, 'fresh-lib', {
      '1.0': { license: 'MIT', uploaded: ago(10 * DAY) },
      '1.1': { license: 'MIT', uploaded: ago(5 * HOUR) },
    });
    publishPypi(pypi, 'gpl-lib', { '1.0': { license: 'GPL-2.0-or-later' } });
    publishPypi(pypi, 'big-lib', { '1.0': { license: 'MIT', size: 50_000_000 } });
    publishPypi(pypi, 'gone-lib', {
      '1.0': { license: 'MIT' },
      '1.1': { license: 'MIT', yanked: 'data loss on upgrade' },
    });
    // Free text, not an SPDX expression.
    publishPypi(pypi, 'odd-lib', { '1.0': { license: 'Public domain, mostly' } });
  });

  afterAll(async () => {
    await pypi?.close();
  });

  afterEach(async () => {
    await harness?.close();
  });

  async function start(admission: JsonObject) {
    harness = await MirrorHarness.create(
      await databases.init(databaseId),
      { pypi: pypi.url },
      { backpack: { admission, processors: { pypi: { index: pypi.url, includeYanked: true } } } },
    );
    await harness.addRoot({ processor: 'pypi', id: 'web-app' });
  }

  async function dependencies() {
    const app = await harness.stores.artifacts.getArtifact('pypi', 'web-app');
    const [version] = await harness.stores.versions.getVersions(app!.ref);
    return Object.fromEntries(version.dependencies.map(d => [d.id, d.unresolvable ?? d.resolved.join(',')]));
  }

  it('checks licenses, release age, file size and yanked releases', async () => {
    await start({
      licenses: { deny: ['GPL-2.0-or-later', 'GPL-3.0-only'], unknown: 'deny' },
      minimumReleaseAge: '2d',
      maximumFileSize: 10_000_000,
      yanked: 'deny',
    });
    await harness.run();
    expect(await dependencies()).toEqual({
      'fresh-lib': '1.0',
      'gpl-lib': expect.stringMatching(/1\.0 denied \(license: license GPL-2\.0-or-later: GPL-2\.0-or-later is denied\)/),
      'big-lib': expect.stringMatching(/file big_lib-1\.0-py3-none-any\.whl \(50000000 bytes\) larger than the maximum of 10000000 bytes/),
      'gone-lib': '1.0',
      'odd-lib': expect.stringMatching(/license 'Public domain, mostly' is not an SPDX expression/),
    });
    const gone = await harness.stores.artifacts.getArtifact('pypi', 'gone-lib');
    const records = await harness.stores.admissions.listAdmissions(gone!.ref);
    expect(records.get('1.1')).toMatchObject({
      decision: 'deny',
      reasons: [{ check: 'yanked', reason: 'yanked: data loss on upgrade' }],
      facts: { yanked: 'data loss on upgrade' },
    });

    // A second run is answered 304: the stored facts and files stand in.
    const again = await harness.run();
    expect(again.counters.versionsDenied).toBe(5);
    expect(await dependencies()).toMatchObject({ 'fresh-lib': '1.0', 'gone-lib': '1.0' });
    expect((await dependencies())['big-lib']).toMatch(/larger than the maximum/);
  });

  it('never collects, serves or exports what is denied or waits; approving queues the files, rejecting takes them out', async () => {
    await start({ licenses: { allow: ['MIT', 'Apache-2.0'], unknown: 'pending-approval' } });
    await harness.startCollecting();
    // big-lib's wheel is shorter than its declared size, so it parks.
    const partial = { allow: ['partial' as const, 'succeeded' as const] };
    const run = await harness.run({}, partial);
    expect(run.counters).toMatchObject({ versionsDenied: 1, versionsPendingApproval: 1 });

    const mirrored = async (id: string) => {
      const artifact = await harness.stores.artifacts.getArtifact('pypi', id);
      return (await harness.stores.mirror.listMirroredVersions(artifact!.ref)).map(v => v.version).sort();
    };
    const exported = async () => {
      const files = await harness.stores.exports.listCollectedFiles({ until: new Date(Date.now() + DAY).toISOString() }, { limit: 100 });
      return files.map(f => f.name).sort();
    };
    const fileStatuses = async (id: string, version: string) => {
      const artifact = await harness.stores.artifacts.getArtifact('pypi', id);
      return (await harness.stores.versions.listFiles(artifact!.ref, version, { limit: 10, offset: 0 }))!.items.map(f => f.status);
    };
    expect(await mirrored('gpl-lib')).toEqual([]);
    // Not selected, so its files are not even stored; the waiting version's are.
    expect(await fileStatuses('gpl-lib', '1.0')).toEqual([]);
    expect(await mirrored('odd-lib')).toEqual([]);
    expect(await fileStatuses('odd-lib', '1.0')).toEqual(['pending']);
    expect(await mirrored('fresh-lib')).toEqual(['1.1']);
    expect(await exported()).not.toContain('gpl_lib-1.0-py3-none-any.whl');

    // A denied version cannot be approved; one that waits can.
    const { approvals } = harness.backpack;
    await expect(approvals.approve('pypi', 'gpl-lib', '1.0', 'user:default/ann')).rejects.toThrow(/denied by policy/);
    const approved = await approvals.approve('pypi', 'odd-lib', '1.0', 'user:default/ann', 'reviewed the text');
    expect(approved.filesQueued).toBe(1);
    expect(approved.admission).toMatchObject({
      status: 'selected',
      decision: 'allow',
      approval: { decision: 'approved', by: 'user:default/ann', comment: 'reviewed the text' },
    });
    await harness.waitForCollection();
    expect(await mirrored('odd-lib')).toEqual(['1.0']);

    // The approval holds in later runs; a rejection takes a collected version out.
    await harness.run({}, partial);
    expect(await harness.selectedPairs('pypi')).toContain('odd-lib@1.0');
    await approvals.reject('pypi', 'fresh-lib', '1.1', 'user:default/bob', 'suspicious release');
    expect(await mirrored('fresh-lib')).toEqual([]);
    expect(await exported()).not.toContain('fresh_lib-1.1-py3-none-any.whl');
    expect(await exported()).toContain('odd_lib-1.0-py3-none-any.whl');
    await harness.run({}, partial);
    // The range admits an older version, which takes the rejected one's place.
    expect((await dependencies())['fresh-lib']).toBe('1.0');
    const fresh = await harness.stores.artifacts.getArtifact('pypi', 'fresh-lib');
    const versions = await harness.stores.versions.getVersions(fresh!.ref);
    expect(versions.find(v => v.version === '1.1')).toMatchObject({
      status: 'denied',
      selection: expect.arrayContaining([
        { type: 'denied', reason: 'approval: rejected by user:default/bob: suspicious release' },
      ]),
    });
  });
});
