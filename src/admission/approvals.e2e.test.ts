import {
  coreServices,
  createServiceFactory,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { mockCredentials, TestDatabases } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import request from 'supertest';
import { AccessBackend, startAccessBackend } from '../__testUtils__/accessBackend';
import { reviewCheckModule } from '../__testUtils__/admissionCheckModule';
import { AuditRecord, collectingAuditor } from '../__testUtils__/collectingAuditor';
import { backpackVersionApprovePermission } from '../permissions';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const APPROVER = 'user:default/approver';
const DEVELOPER = 'user:default/developer';

/** Every permission is allowed, except approvals for anyone but the approver. */
const permissionsByPrincipal = createServiceFactory({
  service: coreServices.permissions,
  deps: {},
  factory: (): PermissionsService => {
    const decide = (name: string, credentials: any) => {
      const principal = credentials?.principal;
      const who = principal?.type === 'user' ? principal.userEntityRef : principal?.subject;
      return name === backpackVersionApprovePermission.name && who !== APPROVER
        ? AuthorizeResult.DENY
        : AuthorizeResult.ALLOW;
    };
    return {
      async authorize(requests, options) {
        return requests.map(r => ({ result: decide(r.permission.name, options?.credentials) }));
      },
      async authorizeConditional(requests, options) {
        return requests.map(r => ({ result: decide(r.permission.name, options?.credentials) })) as any;
      },
    };
  },
});

/** A module's check: `lib` waits for a person; everything else is allowed. */
const reviewModule = reviewCheckModule(async asked =>
  asked.id === 'lib'
    ? { decision: 'pending-approval', reason: 'new dependencies are reviewed' }
    : { decision: 'allow' },
);

describe.each(databases.eachSupportedId())('approvals over the API, %p', databaseId => {
  let backend: AccessBackend;
  const events: AuditRecord[] = [];
  const as = (who: string) => ({ Authorization: mockCredentials.user.header(who) });
  const post = (path: string, who: string, body: object = {}) =>
    request(backend.server).post(`/api/backpack/artifacts/test/lib/versions/1.0.0/${path}`).set(as(who)).send(body);
  const libVersions = async () =>
    (await request(backend.server).get('/api/backpack/artifacts/test/lib/versions').set(as(DEVELOPER))).body.items;

  beforeAll(async () => {
    backend = await startAccessBackend({
      knex: await databases.init(databaseId),
      features: [permissionsByPrincipal, reviewModule, collectingAuditor(events)],
    });
    await backend.addRoot({ processor: 'test', id: 'app' });
    await backend.waitForCollection();
  });

  afterAll(async () => {
    await backend?.stop();
  });

  it('shows a waiting version in the versions API, the preview and the run, and collects nothing of it', async () => {
    const [lib] = await libVersions();
    expect(lib).toMatchObject({
      version: '1.0.0',
      status: 'pending-approval',
      admission: {
        decision: 'pending-approval',
        reasons: [{ check: 'review', decision: 'pending-approval', reason: 'new dependencies are reviewed' }],
      },
    });
    const files = await request(backend.server)
      .get('/api/backpack/artifacts/test/lib/versions/1.0.0/files')
      .set(as(DEVELOPER));
    expect(files.body.items.map((f: any) => f.status)).toEqual(['pending']);

    const preview = await request(backend.server)
      .post('/api/backpack/artifacts/preview')
      .set(as(DEVELOPER))
      .send({ processor: 'test', id: 'app' });
    expect(preview.status).toBe(200);
    const previewedLib = preview.body.artifacts.find((a: any) => a.id === 'lib');
    expect(previewedLib.versions[0]).toMatchObject({
      status: 'pending-approval',
      admission: [{ check: 'review', reason: 'new dependencies are reviewed' }],
    });
    expect(preview.body.totals.versionsPendingApproval).toBe(1);

    const runs = await request(backend.server).get('/api/backpack/runs').set(as(DEVELOPER));
    expect(runs.body.items[0].counters.versionsPendingApproval).toBe(1);
  });

  it('refuses approvals from a principal without backpack.version.approve, and records the refusal', async () => {
    events.length = 0;
    const refused = await post('approve', DEVELOPER);
    expect(refused.status).toBe(403);
    expect((await libVersions())[0].status).toBe('pending-approval');
    expect(events.map(e => [e.options.eventId, e.outcome, e.options.meta])).toEqual([
      ['version-approve', 'fail', { processor: 'test', id: 'lib', version: '1.0.0' }],
    ]);
  });

  it('lets the approver approve (the files are queued and collected) and reject, audited', async () => {
    events.length = 0;
    const bad = await post('approve', APPROVER, { comment: 7 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/comment/);

    const approved = await post('approve', APPROVER, { comment: 'looked at it' });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({
      version: '1.0.0',
      filesQueued: 1,
      admission: { status: 'selected', approval: { decision: 'approved', by: APPROVER, comment: 'looked at it' } },
    });
    await backend.waitForCollection();
    const files = await request(backend.server)
      .get('/api/backpack/artifacts/test/lib/versions/1.0.0/files')
      .set(as(DEVELOPER));
    expect(files.body.items.map((f: any) => f.status)).toEqual(['collected']);

    const again = await post('approve', APPROVER);
    expect(again.status).toBe(409);

    const rejected = await post('reject', APPROVER, { comment: 'changed my mind' });
    expect(rejected.status).toBe(200);
    expect((await libVersions())[0]).toMatchObject({
      status: 'denied',
      admission: { decision: 'deny', approval: { decision: 'rejected', by: APPROVER } },
    });
    expect(events.map(e => [e.options.eventId, e.outcome])).toEqual([
      ['version-approve', 'fail'],
      ['version-approve', 'success'],
      ['version-approve', 'fail'],
      ['version-reject', 'success'],
    ]);
    expect(events.every(e => e.options.severityLevel === 'high')).toBe(true);

    const invalid = await request(backend.server)
      .post('/api/backpack/artifacts')
      .set(as(DEVELOPER))
      .send({ processor: 'test', id: 'solo', admission: { minimumReleaseAge: 'soon' } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.message).toMatch(/^admission\.minimumReleaseAge: 'soon' is not a duration/);

    const unknown = await request(backend.server)
      .post('/api/backpack/artifacts/test/lib/versions/9.9.9/approve')
      .set(as(APPROVER));
    expect(unknown.status).toBe(404);
  });
});
