import { mockServices } from '@backstage/backend-test-utils';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigReader } from '@backstage/config';
import { NotFoundError } from '@backstage/errors';
import { JsonValue } from '@backstage/types';
import { UpstreamClient } from '../../upstream/UpstreamClient';
import { HostileUpstream } from '../../__testUtils__/hostileUpstream';
import { isAlive, waitFor } from '../../plugins/host/__testUtils__/testPlugin';
import { checkDiscoveryOutput } from '../discoveryOutput';
import { ProcessorRegistry } from '../ProcessorRegistry';
import { readExternalProcessorSettings } from './externalConfig';
import { createExternalProcessor, ExternalProcessor } from './ExternalProcessor';
import { writeMisbehavingProcessor } from './__testUtils__/misbehavingProcessor';

const command = writeMisbehavingProcessor();
const created: ExternalProcessor[] = [];
const logger = mockServices.logger.mock();

function processor(entry: Record<string, unknown> = {}, upstream = new UpstreamClient({ retries: 0 })) {
  const [settings] = readExternalProcessorSettings(
    new ConfigReader({
      backpack: {
        processors: {
          external: [
            { name: 'misbehaving', command, timeoutMs: 5000, graceMs: 1000, maxMessageBytes: 64 * 1024, ...entry },
          ],
        },
      },
    }),
  );
  const external = createExternalProcessor({ settings, upstream, logger });
  created.push(external);
  return external;
}

const discover = (external: ExternalProcessor, id: string, config = {}) =>
  external.discover({ id, config }, { logger });

afterEach(async () => {
  await Promise.all(created.splice(0).map(p => p.close()));
});

describe('external processor', () => {
  it('answers discoveries whose output the common checks then filter', async () => {
    const external = processor();
    const registry = new ProcessorRegistry();
    registry.add(external);
    const result = await discover(external, 'ok');
    if (result.notModified) throw new Error('expected versions');
    const checked = checkDiscoveryOutput(result, { processors: registry });
    expect(checked.versions.map(v => v.version)).toEqual(['1.0', '2.0']);
    expect(checked.versions[0].files).toHaveLength(1);
    expect(checked.versions[0].dependencies).toEqual([
      expect.objectContaining({ processor: 'misbehaving', id: 'dep', range: '>=1' }),
    ]);
    // The file with a path-like name and a file: URI is dropped, and said so.
    expect(checked.versions[1].files).toEqual([]);
    expect(checked.warnings.join('\n')).toMatch(/\.\.\/escape/);
  });

  it('learns its version scheme from the handshake, and refuses to guess before', async () => {
    const external = processor();
    expect(external.versions.name).toBe('unknown');
    expect(() => external.versions.isValidRange('>=1')).toThrow(/has not started yet/);
    await external.warmUp();
    expect(external.versions.name).toBe('pep440');
    expect(external.versions.satisfies('1.5', '>=1,<2')).toBe(true);
  });

  it('starts the plugin when its rules are first needed, answering 503 until it is up', async () => {
    const external = processor();
    expect(() => external.normalizeId!('Any')).toThrow(/has not started yet, so its id rules are unknown/);
    await waitFor(() => external.pid !== undefined);
    // This plugin declares no id rules: ids are kept as given.
    expect(external.normalizeId!('Any')).toBe('Any');
  });

  it('describes versions on demand only when its handshake says so', async () => {
    const listing = processor();
    await listing.warmUp();
    expect(listing.describeVersion).toBeUndefined();

    const describing = processor({ env: { DESCRIBE: '1' } });
    await describing.warmUp();
    const describe = describing.describeVersion!;
    await expect(describe({ id: 'ok', config: {}, version: '1.0' }, { logger })).resolves.toMatchObject({
      version: '1.0',
      files: [expect.objectContaining({ name: 'described.tar.gz' })],
    });
    const missing = await describe({ id: 'ok', config: {}, version: '9.9' }, { logger }).catch(e => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing.message).toBe('no version 9.9 of ok');
  });

  it('fails to start when the handshake contradicts the configured scheme or names an unknown one', async () => {
    const contradicted = processor({ versionScheme: 'semver' });
    expect(contradicted.versions.name).toBe('semver');
    await expect(discover(contradicted, 'ok')).rejects.toThrow(
      /failed to start: versionScheme: it declares pep440, the configuration semver/,
    );
    const unknown = processor({ env: { SCHEME: 'calver' } });
    await expect(discover(unknown, 'ok')).rejects.toThrow(/"calver" is not a version scheme/);
  });

  it('fails a discovery cleanly when the plugin crashes in the middle, and restarts it', async () => {
    const external = processor();
    await discover(external, 'ok');
    const first = external.pid!;
    await expect(discover(external, 'crash')).rejects.toThrow(/exited with code 9 before answering/);
    expect(isAlive(first)).toBe(false);
    await expect(discover(external, 'ok')).resolves.toMatchObject({ notModified: false });
    expect(external.pid).not.toBe(first);
  });

  it('times out a discovery the plugin hangs on', async () => {
    // Long enough for a loaded machine to answer the others.
    const external = processor({ timeoutMs: 1500 });
    await external.warmUp();
    await expect(discover(external, 'hang')).rejects.toThrow(/did not answer discover within 1500 ms/);
    await expect(discover(external, 'ok')).resolves.toMatchObject({ notModified: false });
  });

  it('fails discoveries on garbage or oversized answers, never the backend', async () => {
    const external = processor();
    await expect(discover(external, 'garbage')).rejects.toThrow(/broke the protocol: a line on stdout is not JSON/);
    await expect(discover(external, 'huge')).rejects.toThrow(/more than the limit of 65536/);
    await expect(discover(external, 'ok')).resolves.toMatchObject({ notModified: false });
  });

  it("reads upstreams only through the host policy, with the entry's allowedHosts", async () => {
    const upstream = await HostileUpstream.start();
    try {
      upstream.serve('/doc', 'hello');
      const refused = processor();
      await expect(discover(refused, 'fetch', { url: `${upstream.url}/doc` })).rejects.toThrow(
        /not in the allowed hosts/,
      );
      const allowed = processor({ allowedHosts: [upstream.url] });
      await expect(discover(allowed, 'fetch', { url: `${upstream.url}/doc` })).resolves.toMatchObject({
        tags: { status: '200' },
      });
      expect(upstream.requests).toEqual(['/doc']);
    } finally {
      await upstream.close();
    }
  });

  it('refuses config that is not a flat object of small values', () => {
    const external = processor();
    expect(external.configSchema.safeParse({ channel: 'stable', pinned: true }).success).toBe(true);
    expect(external.configSchema.safeParse({ nested: { deep: 1 } }).success).toBe(false);
    expect(external.configSchema.safeParse({ long: 'x'.repeat(2000) }).success).toBe(false);
  });

  it('kills a plugin that ignores the polite stop after the grace period, leaving no process', async () => {
    const pidFile = join(mkdtempSync(join(tmpdir(), 'backpack-pids-')), 'pids');
    const external = processor({ env: { STUBBORN: '1', PID_FILE: pidFile }, graceMs: 300 });
    await external.warmUp();
    const [pid, grandchild] = readFileSync(pidFile, 'utf8').split(' ').map(Number);
    expect(isAlive(pid) && isAlive(grandchild)).toBe(true);
    await external.close();
    await waitFor(() => !isAlive(pid) && !isAlive(grandchild));
  });
});

describe('external processor settings', () => {
  const read = (external: JsonValue) =>
    readExternalProcessorSettings(new ConfigReader({ backpack: { processors: { external } } }));

  it('reads an entry with its defaults', () => {
    expect(read([{ name: 'conda', command: ['conda-processor'] }])).toEqual([
      expect.objectContaining({
        name: 'conda',
        command: ['conda-processor'],
        env: {},
        timeoutMs: 60_000,
        idleSeconds: 300,
        graceMs: 5000,
        allowedHosts: [],
      }),
    ]);
  });

  it('names the key of a mistake', () => {
    expect(() => read([{ name: 'Bad Name', command: ['x'] }])).toThrow(/external\[0\]\.name/);
    expect(() => read([{ name: 'a', command: [] }])).toThrow(/external\[0\]\.command/);
    expect(() => read([{ name: 'a', command: ['x'] }, { name: 'a', command: ['y'] }])).toThrow(
      /external\[1\]\.name: 'a' is listed twice/,
    );
    expect(() => read([{ name: 'a', command: ['x'], timeoutMs: 0 }])).toThrow(/timeoutMs/);
    expect(() => read([{ name: 'a', command: ['x'], versionScheme: 'calver' }])).toThrow(
      /versionScheme: "calver" is not a version scheme/,
    );
  });
});
