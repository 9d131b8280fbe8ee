import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { BackpackBackend, startBackpackBackend, TestServer } from '../__testUtils__/backpackBackend';
import { AuditRecord, collectingAuditor } from '../__testUtils__/collectingAuditor';
import { permissionsWithPolicy } from '../__testUtils__/permissionPolicy';
import { startVerdaccio, TestNpmRegistry } from '../__testUtils__/verdaccio';
import { waitFor as waitForAttempts } from '../__testUtils__/waitFor';
import {
  downloadExport,
  flipByte,
  runVerify,
  sha256,
  startStaticServer,
  StaticServer,
  unpackBundle,
} from './__testUtils__/bundleFiles';
import { SshKeyPair, sshKeygenKeyPair, sshKeygenVerify } from './__testUtils__/sshKeys';

// The acceptance of export bundles through the plugin's REST API: a real
// npm processor mirrors from verdaccio, exports are built and downloaded
// over HTTP, checked with the verification command as a child process, and
// the unpacked bundles are served by Python's static file server to npm.

const exec = promisify(execFile);

jest.setTimeout(90_000);

/** Polls until `check` returns a value; bounded, with no assertion on time. */
const waitFor = <T>(what: string, check: () => Promise<T | undefined>) =>
  waitForAttempts(what, check, { attempts: 1200 });

/**
 * Waits for a run, then until no selected file is pending or queued (adding
 * an artifact starts a run of its own, which may have queued them).
 */
async function mirrored(server: TestServer, runId: string) {
  await waitFor(`run ${runId}`, async () => {
    const res = await request(server).get(`/api/backpack/runs/${runId}`);
    // Settled: walked, and every file it queued collected or parked.
    if (res.body.status === 'failed' || res.body.status === 'partial') {
      throw new Error(`Run ended ${res.body.status}: ${res.body.error}`);
    }
    return res.body.status === 'succeeded' ? true : undefined;
  });
  const stats = await waitFor('collection', async () => {
    const res = await request(server).get('/api/backpack/stats');
    const statuses: Array<{ status: string }> = res.body.byProcessor;
    return statuses.some(s => s.status === 'pending' || s.status === 'queued') ? undefined : statuses;
  });
  expect(stats.filter(s => s.status !== 'collected')).toEqual([]);
}

/** Requests an export and waits for its outcome. */
async function exportBundle(server: TestServer, body: object) {
  const created = await request(server).post('/api/backpack/exports').send(body);
  expect(created.status).toBe(202);
  expect(created.body).toMatchObject({ id: expect.any(String), status: 'queued' });
  return waitFor(`export ${created.body.id}`, async () => {
    const res = await request(server).get(`/api/backpack/exports/${created.body.id}`);
    expect(res.status).toBe(200);
    if (res.body.status === 'failed') throw new Error(`Export failed: ${res.body.error}`);
    return res.body.status === 'succeeded' ? res.body : undefined;
  });
}

/**
 * What a bundle of the test packages holds when it brings `version` of
 * both: their tarballs and their packuments (sorted).
 */
const bundlePaths = (version: string) => [
  `npm/-/@bp/app/${version}/app-${version}.tgz`,
  `npm/-/bp-lib/${version}/bp-lib-${version}.tgz`,
  'npm/@bp/app',
  'npm/bp-lib',
  'sbom.cdx.json',
];

/**
 * Downloads an export over the API into `directory`: it holds exactly
 * `paths` (sorted), and the verification command accepts it.
 */
async function downloadVerified(
  server: TestServer,
  record: { id: string; parts: unknown[] },
  directory: string,
  paths: string[],
  key: SshKeyPair,
) {
  const manifest = await downloadExport(server, record.id, directory);
  expect(manifest.files.map(f => f.path).sort()).toEqual(paths);
  expect(manifest.signing?.fingerprint).toBe(key.fingerprint);
  expect(await runVerify(directory, ['--key', key.publicKeyFile])).toEqual({
    code: 0,
    stdout: `OK: ${paths.length} files, ${record.parts.length} parts, signed by ${key.fingerprint}\n`,
  });
  const signature = path.join(directory, 'manifest.json.sig');
  const bySshKeygen = await sshKeygenVerify(key.allowedSignersFile, signature, await fs.readFile(path.join(directory, 'manifest.json')));
  expect(bySshKeygen.code).toBe(0);
  return manifest;
}

/** npm with nothing from this machine's configuration, an empty cache and no other registry. */
async function npmInstall(registry: string, project: string, specs: string[]) {
  await fs.mkdir(project, { recursive: true });
  await fs.writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  await fs.writeFile(path.join(project, '.npmrc'), '');
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^npm_|^(https?|no)_proxy$/i.test(name)),
  );
  return exec(
    'npm',
    [
      'install',
      ...specs,
      '--registry',
      registry,
      '--cache',
      path.join(project, '.npm-cache'),
      '--userconfig',
      path.join(project, '.npmrc'),
      '--no-audit',
      '--no-fund',
      '--no-update-notifier',
      '--prefer-online',
    ],
    { cwd: project, env },
  );
}

const readJson = async (file: string) => JSON.parse(await fs.readFile(file, 'utf8'));

/** Unpacks a downloaded bundle into a directory of its own beside it. */
async function unpackedSbomDir(directory: string, manifest: Parameters<typeof unpackBundle>[1]) {
  const target = `${directory}-sbom`;
  await unpackBundle(directory, manifest, target);
  return target;
}

describe('export bundles through the plugin', () => {
  let verdaccio: TestNpmRegistry | undefined;
  let work: string;
  let backend: BackpackBackend;
  let staticServer: StaticServer | undefined;
  const events: AuditRecord[] = [];
  let exportsAllowed = true;
  let signingKey: SshKeyPair;

  beforeAll(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'backpack-exports-'));
    signingKey = await sshKeygenKeyPair(work, 'signing');
    verdaccio = await startVerdaccio();
    await verdaccio.publish({
      name: '@bp/app',
      versions: { '1.0.0': { dependencies: { 'bp-lib': '^1.0.0' } } },
    });
    await verdaccio.publish({ name: 'bp-lib', versions: { '1.0.0': {} } });

    backend = await startBackpackBackend({
      storageDir: path.join(work, 'storage'),
      backpack: {
        processors: { npm: { registry: verdaccio.url } },
        allowedHosts: [new URL(verdaccio.url).host],
        // Small parts, so that files span parts.
        exports: {
          partSizeBytes: 1024,
          settleSeconds: 1,
          signing: { privateKey: await fs.readFile(signingKey.privateKeyFile, 'utf8') },
        },
      },
      features: [
        collectingAuditor(events),
        permissionsWithPolicy(name => ({
          result:
            name === 'backpack.export.create' && !exportsAllowed
              ? AuthorizeResult.DENY
              : AuthorizeResult.ALLOW,
        })),
      ],
    });
  });

  afterAll(async () => {
    await staticServer?.stop();
    await backend?.stop();
    await verdaccio?.stop();
    await fs.rm(work, { recursive: true, force: true });
  });

  it('exports in full, then a delta of exactly the new files, that verify and install with npm from a static server', async () => {
    const { server } = backend;
    const added = await request(server).post('/api/backpack/artifacts').send({ processor: 'npm', id: '@bp/app' });
    expect(added.status).toBe(201);
    await mirrored(server, added.body.runId);

    const full = await exportBundle(server, {});
    expect(full).toMatchObject({ kind: 'full', requestedBy: expect.any(String), files: 5 });
    expect(full.parts.length).toBeGreaterThan(1);
    expect(events.find(e => e.options.eventId === 'export-create')).toMatchObject({
      options: { severityLevel: 'high' },
      outcome: 'success',
      meta: { exportId: full.id, kind: 'full' },
    });
    const fullDir = path.join(work, 'full');
    const fullManifest = await downloadVerified(server, full, fullDir, bundlePaths('1.0.0'), signingKey);
    // The SBOM of what the mirror resolved: the app's range went to bp-lib 1.0.0.
    const fullSbom = await readJson(path.join(await unpackedSbomDir(fullDir, fullManifest), 'sbom.cdx.json'));
    expect(fullSbom.dependencies).toContainEqual({ ref: 'npm:@bp/app@1.0.0', dependsOn: ['npm:bp-lib@1.0.0'] });
    const rootSbom = await request(server).get('/api/backpack/artifacts/npm/%40bp%2Fapp/sbom');
    expect(rootSbom.status).toBe(200);
    expect(JSON.parse(rootSbom.text).dependencies).toEqual(fullSbom.dependencies);

    // Upstream publishes; the next mirror run collects the new versions.
    await verdaccio!.publish({
      name: '@bp/app',
      versions: {
        '1.0.0': { dependencies: { 'bp-lib': '^1.0.0' } },
        '1.1.0': { dependencies: { 'bp-lib': '^1.1.0' } },
      },
    });
    await verdaccio!.publish({ name: 'bp-lib', versions: { '1.0.0': {}, '1.1.0': {} } });
    const run = await request(server).post('/api/backpack/runs').send({});
    expect(run.status).toBe(202);
    await mirrored(server, run.body.id);

    const delta = await exportBundle(server, { since: full.id });
    expect(delta).toMatchObject({ kind: 'delta', since: { exportId: full.id, time: full.cutoff } });
    const deltaDir = path.join(work, 'delta');
    const deltaManifest = await downloadVerified(server, delta, deltaDir, bundlePaths('1.1.0'), signingKey);

    const list = await request(server).get('/api/backpack/exports');
    expect(list.body).toMatchObject({ total: 2, items: [{ id: delta.id }, { id: full.id }] });

    // The receiving side: full, then delta, unpacked over one directory and
    // served by a plain static server; verdaccio is gone.
    await verdaccio!.stop();
    verdaccio = undefined;
    const registry = path.join(work, 'registry');
    await unpackBundle(fullDir, fullManifest, registry);
    await unpackBundle(deltaDir, deltaManifest, registry);
    const started = await startStaticServer(path.join(registry, 'npm'));
    staticServer = started;
    const project = path.join(work, 'consumer');
    await npmInstall(started.url, project, ['@bp/app@1.1.0']);
    expect(await readJson(path.join(project, 'node_modules/@bp/app/package.json'))).toMatchObject({ version: '1.1.0' });
    expect(await readJson(path.join(project, 'node_modules/bp-lib/package.json'))).toMatchObject({ version: '1.1.0' });
    // npm asked the static server for the packuments and the tarballs (its
    // lock file keeps the packuments' URLs, which it rewrites the same way).
    for (const url of [
      '/@bp%2fapp',
      '/bp-lib',
      '/-/@bp/app/1.1.0/app-1.1.0.tgz',
      '/-/bp-lib/1.1.0/bp-lib-1.1.0.tgz',
    ]) {
      expect(started.log()).toContain(`"GET ${url} HTTP/1.1" 200`);
    }

    // What the full bundle brought is still served next to the delta's.
    const older = path.join(work, 'consumer-older');
    await npmInstall(started.url, older, ['@bp/app@1.0.0', 'bp-lib@1.0.0']);
    expect(await readJson(path.join(older, 'node_modules/bp-lib/package.json'))).toMatchObject({ version: '1.0.0' });

    // One flipped byte in a part: the command names the part and the file.
    const file = deltaManifest.files.find(f => f.path === 'npm/-/bp-lib/1.1.0/bp-lib-1.1.0.tgz')!;
    const part = await flipByte(deltaDir, deltaManifest, file.offset + Math.floor(file.size / 2));
    const corrupt = await runVerify(deltaDir);
    expect(corrupt.code).toBe(1);
    expect(corrupt.stdout).toContain(`CORRUPT ${part}: sha256`);
    expect(corrupt.stdout).toContain(`CORRUPT ${file.path}: sha256`);
    expect(sha256(await fs.readFile(path.join(registry, file.path)))).toBe(file.sha256);
  });

  it('answers the REST errors of exports', async () => {
    const { server } = backend;
    const bad = await request(server).post('/api/backpack/exports').send({ since: 'last tuesday' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^since: /);
    const unknown = await request(server).post('/api/backpack/exports').send({ processors: ['nope'] });
    expect(unknown.status).toBe(400);
    const extra = await request(server).post('/api/backpack/exports').send({ full: true });
    expect(extra.status).toBe(400);
    expect((await request(server).get('/api/backpack/exports/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    const [latest] = (await request(server).get('/api/backpack/exports')).body.items;
    expect((await request(server).get(`/api/backpack/exports/${latest.id}/parts/999`)).status).toBe(404);
    expect((await request(server).get(`/api/backpack/exports/${latest.id}/parts/x`)).status).toBe(400);

    exportsAllowed = false;
    try {
      const denied = await request(server).post('/api/backpack/exports').send({});
      expect(denied.status).toBe(403);
      expect(events[events.length - 1]).toMatchObject({
        options: { eventId: 'export-create', severityLevel: 'high' },
        outcome: 'fail',
      });
    } finally {
      exportsAllowed = true;
    }
  });
});
