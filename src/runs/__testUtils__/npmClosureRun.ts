import request from 'supertest';
import { getRun, selectedThroughApi, waitForRun } from '../../__testUtils__/api';
import { TestServer } from '../../__testUtils__/backpackBackend';
import { pollUntil } from '../../__testUtils__/waitFor';

// A preview, then a real run, of an npm root whose closure the test knows:
// the frozen express closure or a generated one.

/** The root of an npm closure and what the test knows of it. */
export interface KnownNpmClosure {
  name: string;
  version: string;
  /** `name@version` of every package version of the closure, sorted. */
  closure: string[];
  /** How many packages it holds. */
  artifacts: number;
}

const patient = { attempts: 1200, intervalMs: 25 };
const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const bodyOf = ({ name, version }: KnownNpmClosure) => ({
  processor: 'npm',
  id: name,
  filter: version,
  dependencyPolicy: 'latest',
});

/**
 * Previews the root: the preview names exactly the closure, with totals
 * and the root's file, and writes nothing. Answers the preview's body.
 */
export async function expectPreviewOfClosure(server: TestServer, known: KnownNpmClosure): Promise<any> {
  const { name, version, closure } = known;
  const preview = await request(server).post('/api/backpack/artifacts/preview').send(bodyOf(known));
  expect(preview.status).toBe(200);
  expect(preview.body.closure).toEqual({ npm: closure });
  expect(preview.body.unresolvable).toEqual([]);
  expect(preview.body.totals).toEqual({
    artifacts: known.artifacts,
    versions: closure.length,
    files: closure.length,
    // npm's abbreviated packuments do not give tarball sizes.
    bytes: 0,
    filesWithoutSize: closure.length,
    // Without an admission policy nothing is denied or held.
    versionsDenied: 0,
    versionsPendingApproval: 0,
  });
  expect(preview.body.artifacts[0]).toMatchObject({
    processor: 'npm',
    id: name,
    root: true,
    filter: version,
    filterType: 'semver',
    versions: [
      {
        version,
        selection: [{ type: 'filter', filter: version }],
        files: [
          {
            name: `${name}-${version}.tgz`,
            uri: expect.stringMatching(new RegExp(`/${escaped(name)}/-/${escaped(`${name}-${version}`)}\\.tgz$`)),
            storageKey: `files/npm/${name}/${version}/${name}-${version}.tgz`,
            integrity: { algorithm: 'sha512', digest: expect.stringMatching(/^[0-9a-f]{128}$/) },
          },
        ],
      },
    ],
  });

  // Nothing was written: no artifact, no run.
  const artifacts = await request(server).get('/api/backpack/artifacts');
  expect(artifacts.body.total).toBe(0);
  const runs = await request(server).get('/api/backpack/runs');
  expect(runs.body.total).toBe(0);
  return preview.body;
}

/** Adds the root: its run selects exactly the closure, and collects every tarball of it. */
export async function expectRunOfClosure(server: TestServer, known: KnownNpmClosure): Promise<void> {
  const { closure } = known;
  const created = await request(server).post('/api/backpack/artifacts').send(bodyOf(known));
  expect(created.status).toBe(201);
  expect(await waitForRun(server, created.body.runId, patient)).toMatchObject({
    trigger: 'artifact',
    status: 'succeeded',
    counters: { artifacts: known.artifacts, versionsSelected: closure.length, filesQueued: closure.length },
  });
  expect(await selectedThroughApi(server, 'npm')).toEqual(closure);
  // The collector fetched every tarball of the closure.
  const collected = await pollUntil(
    'the closure collected',
    () => getRun(server, created.body.runId),
    run => run.counters.filesCollected + run.counters.filesFailed === closure.length,
    patient,
  );
  expect(collected.counters).toMatchObject({ filesCollected: closure.length, filesFailed: 0 });
  expect(collected.counters.bytes).toBeGreaterThan(0);
}
