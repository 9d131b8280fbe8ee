import { TestDatabases } from '@backstage/backend-test-utils';
import { JsonObject } from '@backstage/types';
import { MirrorHarness } from '../__testUtils__/mirrorHarness';
import { StaticRegistryServer } from '../__testUtils__/staticRegistryServer';
import { ago, DAY, HOUR, publishNpm } from './__testUtils__/admissionUpstream';
import { BackpackAdmissionCheck } from './types';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

describe('admission checks on npm data', () => {
  let npm: StaticRegistryServer;
  const harnesses: MirrorHarness[] = [];

  beforeAll(async () => {
    npm = await StaticRegistryServer.start();
    publishNpm(npm, 'app', {
      '1.0.0': {
        license: 'MIT',
        dependencies: {
          'lib-mit': '^1.0.0',
          'lib-gpl': '^1.0.0',
          'lib-dual': '^1.0.0',
          'lib-legacy': '^1.0.0',
          'lib-unknown': '^1.0.0',
          'lib-old': '^1.0.0',
          'lib-ranged': '^1.0.0',
          'lib-tagged': 'latest',
        },
      },
    });
    publishNpm(npm, 'lib-mit', {
      '1.0.0': { license: 'MIT', published: ago(30 * DAY) },
      '1.1.0': { license: 'MIT', published: ago(2 * HOUR) },
    });
    publishNpm(npm, 'lib-gpl', { '1.0.0': { license: 'GPL-3.0-only' } });
    publishNpm(npm, 'lib-dual', { '1.0.0': { license: '(MIT OR GPL-3.0-only)' } });
    // The old `{ type }` form of a license.
    publishNpm(npm, 'lib-legacy', { '1.0.0': { license: { type: 'Apache-2.0' } } });
    publishNpm(npm, 'lib-unknown', { '1.0.0': { license: 'SEE LICENSE IN LICENSE.txt' } });
    publishNpm(npm, 'lib-old', {
      '1.0.0': { license: 'MIT', deprecated: 'use lib-mit instead' },
    });
    publishNpm(npm, 'lib-ranged', { '1.0.0': { license: 'MIT' }, '1.2.0': { license: 'MIT' } });
    publishNpm(npm, 'lib-tagged', { '1.0.0': { license: 'MIT' }, '1.2.0': { license: 'MIT' } });
    publishNpm(npm, 'switch', { '1.0.0': { license: 'MIT', dependencies: { 'lib-switch': '^1.0.0' } } });
    publishNpm(npm, 'lib-switch', { '1.0.0': { license: 'MIT' }, '1.1.0': { license: 'GPL-3.0-only' } });
  });

  afterAll(async () => {
    await Promise.all(harnesses.map(h => h.close()));
    await npm?.close();
  });

  async function harnessWith(admission: JsonObject, checks: BackpackAdmissionCheck[] = []) {
    const harness = await MirrorHarness.create(
      await databases.init('SQLITE_3'),
      { npm: npm.url },
      { backpack: { admission, processors: { npm: { registry: npm.url, fullMetadata: true } } }, admissionChecks: checks },
    );
    harnesses.push(harness);
    await harness.addRoot({ processor: 'npm', id: 'app' });
    return harness;
  }

  /** `id@version status` of every version that is not merely discovered, with denial reasons. */
  async function statuses(harness: MirrorHarness) {
    const out: string[] = [];
    for (const artifact of await harness.stores.artifacts.listAllArtifacts()) {
      for (const v of await harness.stores.versions.getVersions(artifact.ref)) {
        if (v.status === 'discovered') continue;
        const denied = v.selection.filter(r => r.type === 'denied').map(r => (r as { reason: string }).reason);
        out.push(`${artifact.id}@${v.version} ${v.status}${denied.length ? ` (${denied.join('; ')})` : ''}`);
      }
    }
    return out.sort();
  }

  /** `dependency range -> resolved | unresolvable` of app@1.0.0. */
  async function appDependencies(harness: MirrorHarness) {
    const app = await harness.stores.artifacts.getArtifact('npm', 'app');
    const [version] = await harness.stores.versions.getVersions(app!.ref);
    return Object.fromEntries(version.dependencies.map(d => [d.id, d.unresolvable ?? d.resolved.join(',')]));
  }

  it('applies the license policy to SPDX expressions, and the configured outcome to unknown licenses', async () => {
    const harness = await harnessWith({
      licenses: { allow: ['MIT', 'Apache-2.0'], unknown: 'pending-approval' },
    });
    const run = await harness.run();

    const deps = await appDependencies(harness);
    expect(deps['lib-gpl']).toBe(
      "no allowed version of 'lib-gpl' satisfies '^1.0.0': 1.0.0 denied (license: license GPL-3.0-only: GPL-3.0-only is not allowed)",
    );
    expect(deps['lib-dual']).toBe('1.0.0');
    expect(deps['lib-legacy']).toBe('1.0.0');
    expect(deps['lib-mit']).toBe('1.1.0');
    expect(await statuses(harness)).toEqual(
      expect.arrayContaining([
        'lib-gpl@1.0.0 denied (license: license GPL-3.0-only: GPL-3.0-only is not allowed)',
        'lib-dual@1.0.0 selected',
        'lib-unknown@1.0.0 pending-approval',
      ]),
    );
    expect(run.counters).toMatchObject({ versionsDenied: 1, versionsPendingApproval: 1 });

    // The verdicts are recorded per version with their reasons and facts.
    const gpl = await harness.stores.artifacts.getArtifact('npm', 'lib-gpl');
    const record = (await harness.stores.admissions.listAdmissions(gpl!.ref)).get('1.0.0');
    expect(record).toMatchObject({
      decision: 'deny',
      reasons: [{ check: 'license', decision: 'deny' }],
      facts: { license: 'GPL-3.0-only' },
    });
  });

  it('holds back versions younger than the minimum release age and takes the best allowed one the range admits', async () => {
    const harness = await harnessWith({ minimumReleaseAge: '3d' });
    await harness.run();
    expect((await appDependencies(harness))['lib-mit']).toBe('1.0.0');
    const [fresh] = (await statuses(harness)).filter(s => s.startsWith('lib-mit@1.1.0'));
    expect(fresh).toMatch(/^lib-mit@1\.1\.0 denied \(release-age: published 2 hours ago .*minimum release age of 3 days\)$/);
    expect(await harness.selectedPairs()).toContain('lib-mit@1.0.0');
    expect(await harness.selectedPairs()).not.toContain('lib-mit@1.1.0');
  });

  it('denies listed ids and ranges per processor, never substituting for a tag, and denies deprecated versions when asked', async () => {
    const harness = await harnessWith({
      deny: [
        { processor: 'npm', id: 'lib-ranged', versions: '>=1.2.0', reason: 'CVE-2026-0001' },
        { processor: 'npm', id: 'lib-tagged', versions: '1.2.0' },
        // Another processor's entry names nothing here.
        { processor: 'pypi', id: 'lib-mit' },
      ],
      deprecated: 'deny',
    });
    await harness.run();
    const deps = await appDependencies(harness);
    expect(deps['lib-ranged']).toBe('1.0.0');
    expect(deps['lib-mit']).toBe('1.1.0');
    expect(deps['lib-tagged']).toBe(
      "no allowed version of 'lib-tagged' satisfies 'latest': 1.2.0 denied (deny-list: on the deny list (backpack.admission.deny: versions 1.2.0))",
    );
    expect(deps['lib-old']).toMatch(/1\.0\.0 denied \(deprecated: deprecated: use lib-mit instead\)/);
    expect(await statuses(harness)).toContain('lib-ranged@1.2.0 denied (deny-list: CVE-2026-0001)');
  });

  it("applies an artifact's own settings over the global ones, and its allow list as an exception", async () => {
    const harness = await harnessWith({ licenses: { allow: ['MIT'] }, minimumReleaseAge: '3d' });
    const gpl = await harness.stores.artifacts.ensureArtifact({
      processor: 'npm',
      id: 'lib-gpl',
      config: {},
      root: false,
      dependencyPolicy: 'latest',
    });
    await harness.stores.artifacts.updateArtifact(gpl.ref, { admission: { allow: ['1.0.0'] } });
    const mit = await harness.stores.artifacts.ensureArtifact({
      processor: 'npm',
      id: 'lib-mit',
      config: {},
      root: false,
      dependencyPolicy: 'latest',
    });
    await harness.stores.artifacts.updateArtifact(mit.ref, { admission: { minimumReleaseAge: '0' } });
    await harness.run();
    const deps = await appDependencies(harness);
    expect(deps['lib-gpl']).toBe('1.0.0');
    expect(deps['lib-mit']).toBe('1.1.0');
    expect(deps['lib-legacy']).toMatch(/not allowed/);
  });

  it('checks versions no run selected before when the upstream answers 304 under a new policy, from the listing asked for again', async () => {
    const harness = await harnessWith({});
    await harness.addRoot({ processor: 'npm', id: 'switch' });
    await harness.run();
    expect(await harness.selectedPairs()).toContain('lib-switch@1.1.0');

    harness.backpack.admission.setSettings({ licenses: { allow: ['MIT'], unknown: 'deny' } });
    const before = npm.requests.length;
    await harness.run();
    // 1.0.0 was listed but never selected, so its files were never stored:
    // one unconditional request describes it for the checks.
    const packuments = npm.requests.slice(before).filter(r => r.path === '/lib-switch');
    expect(packuments.map(r => r.status)).toEqual([304, 200]);
    expect(await harness.selectedPairs()).toContain('lib-switch@1.0.0');
    expect(await harness.selectedPairs()).not.toContain('lib-switch@1.1.0');
  });

  it('asks a module check once per version and policy, caching across runs and concurrent walks', async () => {
    const asked: string[] = [];
    const paths: unknown[] = [];
    const check: BackpackAdmissionCheck = {
      name: 'no-old-stuff',
      async check(request) {
        asked.push(`${request.id}@${request.version}`);
        await new Promise(resolve => setTimeout(resolve, 5));
        if (request.id !== 'lib-old') return { decision: 'allow' };
        paths.push(request.path);
        return { decision: 'deny', reason: `${request.metadata.deprecated}` };
      },
    };
    const harness = await harnessWith({}, [check]);
    const roots = [{ processor: 'npm', id: 'app', dependencyPolicy: 'latest' as const }];
    await Promise.all([harness.run(), harness.runner.preview(roots), harness.runner.preview(roots)]);
    await harness.run();
    expect(asked.filter(a => a === 'lib-old@1.0.0')).toHaveLength(1);
    expect(new Set(asked).size).toBe(asked.length);
    expect(paths).toEqual([[{ processor: 'npm', id: 'app', version: '1.0.0', range: '^1.0.0' }]]);
    expect((await appDependencies(harness))['lib-old']).toMatch(/no-old-stuff: use lib-mit instead/);

    // A new policy revision asks again.
    harness.backpack.admission.setSettings({ deprecated: 'allow', yanked: 'deny' });
    await harness.run();
    expect(asked.filter(a => a === 'lib-old@1.0.0')).toHaveLength(2);
  });
});
