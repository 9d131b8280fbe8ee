import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { JsonObject } from '@backstage/types';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { MirrorHarness } from '../../__testUtils__/mirrorHarness';
import { StaticRegistryServer } from '../../__testUtils__/staticRegistryServer';
import { isAlive, waitFor } from '../../plugins/host/__testUtils__/testPlugin';
import { createNpmProcessor } from '../../processors/npm';
import { ProcessorRegistry } from '../../processors/ProcessorRegistry';
import { UpstreamClient } from '../../upstream/UpstreamClient';
import { publishNpm } from '../__testUtils__/admissionUpstream';
import { AdmissionService } from '../AdmissionService';
import { readExternalAdmissionSettings } from './externalAdmissionConfig';
import { createExternalAdmissionCheck, ExternalAdmissionCheck } from './ExternalAdmissionCheck';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
/** The example plugin the README documents. */
const EXAMPLE = resolve(__dirname, '../../../examples/admission-plugin/deny_by_rule.py');
const logger = mockServices.logger.mock();
const created: ExternalAdmissionCheck[] = [];

function externalCheck(entry: JsonObject): ExternalAdmissionCheck {
  const [settings] = readExternalAdmissionSettings(
    new ConfigReader({ backpack: { admission: { external: [{ name: 'rules', timeoutMs: 5000, graceMs: 1000, ...entry }] } } }),
  );
  const check = createExternalAdmissionCheck({ settings, logger });
  created.push(check);
  return check;
}

const request = (id: string, license?: string) => ({
  processor: 'npm',
  id,
  version: '1.0.0',
  config: {},
  metadata: { ...(license ? { license } : {}), files: [] },
  path: [],
});

afterEach(async () => {
  await Promise.all(created.splice(0).map(check => check.close()));
});

describe('external admission plugins', () => {
  let npm: StaticRegistryServer;
  let harness: MirrorHarness | undefined;

  beforeAll(async () => {
    npm = await StaticRegistryServer.start();
    publishNpm(npm, 'app', {
      '1.0.0': { license: 'MIT', dependencies: { 'lib-gpl': '^1.0.0', 'evil-lib': '^1.0.0', 'lib-ok': '^1.0.0' } },
    });
    publishNpm(npm, 'lib-gpl', { '1.0.0': { license: 'GPL-3.0-only' } });
    publishNpm(npm, 'evil-lib', { '1.0.0': { license: 'MIT' } });
    publishNpm(npm, 'lib-ok', { '1.0.0': { license: 'MIT' }, '1.1.0': { license: 'MIT' } });
  });

  afterAll(async () => {
    await harness?.close();
    await npm?.close();
  });

  it('lets a Python plugin deny by rule in a run, started on the first check and stopped at close', async () => {
    const rules = [
      { id: '^evil-', decision: 'deny', reason: 'known typosquat' },
      { license: 'GPL', decision: 'pending-approval', reason: 'GPL needs a review' },
      { id: '^lib-ok$', version: '^1\\.1\\.', decision: 'deny', reason: '1.1 is broken' },
    ];
    const check = externalCheck({ command: ['python3', EXAMPLE], env: { RULES: JSON.stringify(rules) } });
    expect(check.pid).toBeUndefined();

    harness = await MirrorHarness.create(
      await databases.init('SQLITE_3'),
      { npm: npm.url },
      { backpack: { processors: { npm: { registry: npm.url, fullMetadata: true } } }, admissionChecks: [check] },
    );
    await harness.addRoot({ processor: 'npm', id: 'app' });
    const run = await harness.run();
    const app = await harness.stores.artifacts.getArtifact('npm', 'app');
    const [version] = await harness.stores.versions.getVersions(app!.ref);
    expect(Object.fromEntries(version.dependencies.map(d => [d.id, d.unresolvable ?? d.resolved.join(',')]))).toEqual({
      'evil-lib': "no allowed version of 'evil-lib' satisfies '^1.0.0': 1.0.0 denied (rules: known typosquat)",
      'lib-gpl': '1.0.0',
      'lib-ok': '1.0.0',
    });
    expect(run.counters).toMatchObject({ versionsDenied: 2, versionsPendingApproval: 1 });
    expect(await harness.selectedPairs()).toEqual(['app@1.0.0', 'lib-ok@1.0.0']);

    const pid = check.pid!;
    expect(isAlive(pid)).toBe(true);
    await check.close();
    await waitFor(() => !isAlive(pid));
  });

  it('fails a check closed when the plugin answers nonsense, crashes or hangs, and never caches it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'backpack-admission-'));
    const script = join(dir, 'broken.py');
    writeFileSync(
      script,
      [
        'import json, sys, time',
        'for line in sys.stdin:',
        '    m = json.loads(line)',
        '    if m.get("method") == "handshake":',
        '        print(json.dumps({"id": m["id"], "result": {"protocolVersion": 1}}), flush=True)',
        '    elif m["params"]["id"] == "nonsense":',
        '        print(json.dumps({"id": m["id"], "result": {"decision": "maybe"}}), flush=True)',
        '    elif m["params"]["id"] == "no-reason":',
        '        print(json.dumps({"id": m["id"], "result": {"decision": "deny"}}), flush=True)',
        '    elif m["params"]["id"] == "hang":',
        '        pass',
        '    else:',
        '        sys.exit(3)',
      ].join('\n'),
    );
    const check = externalCheck({ command: ['python3', script], timeoutMs: 1000 });
    await expect(check.check(request('nonsense'), {})).rejects.toThrow(/plugin answered "maybe", not allow, deny or pending-approval/);
    await expect(check.check(request('no-reason'), {})).rejects.toThrow(/deny without a reason/);
    await expect(check.check(request('hang'), {})).rejects.toThrow(/did not answer check within 1000 ms/);
    await expect(check.check(request('crash'), {})).rejects.toThrow();

    // Through the service: a failed check denies, and is asked again next time.
    const processors = new ProcessorRegistry();
    processors.add(createNpmProcessor({ upstream: new UpstreamClient({ retries: 0 }) }));
    let calls = 0;
    const counting = {
      name: 'rules',
      check: (r: ReturnType<typeof request>, o: { signal?: AbortSignal }) => {
        calls += 1;
        return check.check(r, o);
      },
    };
    const service = new AdmissionService({ processors, checks: [counting], settings: {}, logger });
    const first = await service.decide(request('nonsense'));
    expect(first).toMatchObject({ decision: 'deny', reasons: [{ check: 'rules', reason: expect.stringMatching(/^check failed: /) }] });
    await service.decide(request('nonsense'));
    expect(calls).toBe(2);
  });

  it('reads its settings with the key named in mistakes', () => {
    const read = (external: unknown) => () =>
      readExternalAdmissionSettings(new ConfigReader({ backpack: { admission: { external } } } as JsonObject));
    expect(read([{ name: 'Bad Name', command: ['x'] }])).toThrow(/backpack\.admission\.external\[0\]\.name/);
    expect(read([{ name: 'a', command: [] }])).toThrow(/backpack\.admission\.external\[0\]\.command/);
    expect(read([{ name: 'a', command: ['x'] }, { name: 'a', command: ['y'] }])).toThrow(/listed twice/);
    expect(read([{ name: 'a', command: ['x'], timeoutMs: 0 }])).toThrow(/timeoutMs: must be a number of at least 1/);
  });
});
