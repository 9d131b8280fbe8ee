import { PluginHost, PluginHostOptions } from './PluginHost';
import { pluginEnvironment } from './pluginEnv';
import {
  PluginMessageTooLargeError,
  PluginRequestError,
  PluginTimeoutError,
  PluginUnavailableError,
} from './errors';
import { collectingLogger, isAlive, waitFor, writeTestPlugin } from './__testUtils__/testPlugin';

const command = writeTestPlugin();
const hosts: PluginHost[] = [];

function host(options: Partial<PluginHostOptions<Record<string, unknown>>> = {}) {
  const logger = collectingLogger();
  const created = new PluginHost({
    label: 'test',
    command,
    logger,
    protocol: 'test-protocol',
    protocolVersions: [1],
    backoffInitialMs: 10,
    graceMs: 2000,
    ...options,
  });
  hosts.push(created);
  return { host: created, logger };
}

afterEach(async () => {
  await Promise.all(hosts.splice(0).map(h => h.close()));
});

describe('PluginHost', () => {
  it('starts lazily, once, and answers requests made before it is up', async () => {
    const { host: plugin } = host();
    expect(plugin.pid).toBeUndefined();
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => plugin.request('echo', { i })),
    );
    expect(answers).toEqual(Array.from({ length: 20 }, (_, i) => ({ i })));
    const pids = await Promise.all([plugin.request('pid', {}), plugin.request('pid', {})]);
    expect(pids[0]).toBe(pids[1]);
    expect(plugin.pid).toBe(pids[0]);
    expect(plugin.info).toEqual({ protocolVersion: 1, name: 'test' });
  });

  it('runs requests concurrently', async () => {
    const { host: plugin } = host({ timeoutMs: 5000 });
    // "block" only returns once "release" ran: sequential handling would time out.
    const blocked = plugin.request('block', {});
    await expect(plugin.request('release', {})).resolves.toBe('released');
    await expect(blocked).resolves.toBe('unblocked');
  });

  it('rejects every queued request with the reason when the plugin cannot start', async () => {
    const cases: Array<[Partial<PluginHostOptions<any>>, RegExp]> = [
      [{ command: ['no-such-plugin-executable'] }, /failed to start: .*ENOENT/],
      [{ env: { START: 'crash' } }, /failed to start: .*exited with code 3/],
      [{ env: { START: 'garbage' } }, /failed to start: .*not JSON/],
      [{ env: { START: 'silent' }, startTimeoutMs: 300 }, /failed to start: no handshake within 300 ms/],
      [{ env: { PROTOCOL: '2' } }, /failed to start: it speaks protocol version 2, the host 1/],
    ];
    for (const [options, reason] of cases) {
      const { host: plugin } = host(options);
      const results = await Promise.allSettled([
        plugin.request('echo', 1),
        plugin.request('echo', 2),
        plugin.handshake(),
      ]);
      for (const result of results) {
        expect(result.status).toBe('rejected');
        const error = (result as PromiseRejectedResult).reason;
        expect(error).toBeInstanceOf(PluginUnavailableError);
        expect(error.message).toMatch(reason);
      }
    }
  });

  it('fails the request a crash interrupts and restarts the plugin for the next', async () => {
    const { host: plugin, logger } = host();
    const first = await plugin.request('pid', {});
    await expect(plugin.request('crash', {})).rejects.toThrow(
      /Plugin test exited with code 7 before answering/,
    );
    expect(isAlive(first as number)).toBe(false);
    const second = await plugin.request('pid', {});
    expect(second).not.toBe(first);
    expect(logger.lines.join('\n')).toMatch(/info: Plugin test: crashing on purpose/);
    expect(logger.lines.join('\n')).toMatch(/ended unexpectedly \(exit code 7\)/);
  });

  it('waits out a backoff that doubles while the plugin keeps failing', async () => {
    const { host: plugin } = host({ backoffInitialMs: 300 });
    await plugin.request('crash', {}).catch(() => undefined);
    const started = Date.now();
    await plugin.request('pid', {});
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('times out a request the plugin never answers, and goes on serving others', async () => {
    const { host: plugin } = host({ timeoutMs: 5000 });
    const hang = plugin.request('sleep', { ms: 3000 }, { timeoutMs: 200 });
    await expect(hang).rejects.toBeInstanceOf(PluginTimeoutError);
    await expect(hang).rejects.toThrow(/did not answer sleep within 200 ms/);
    await expect(plugin.request('echo', 'still here')).resolves.toBe('still here');
  });

  it('honours an abort signal', async () => {
    const { host: plugin } = host();
    const controller = new AbortController();
    const request = plugin.request('sleep', { ms: 2000 }, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('caller gave up')), 100);
    await expect(request).rejects.toThrow('caller gave up');
  });

  it('fails the requests of a plugin that writes garbage, then restarts it', async () => {
    const { host: plugin } = host();
    const first = await plugin.request('pid', {});
    const pending = plugin.request('sleep', { ms: 1000 });
    await expect(plugin.request('garbage', {})).rejects.toThrow(/broke the protocol: .*not JSON/);
    await expect(pending).rejects.toBeInstanceOf(PluginUnavailableError);
    await waitFor(() => !isAlive(first as number));
    await expect(plugin.request('pid', {})).resolves.not.toBe(first);
  });

  it('fails an answer over the size limit without losing the plugin', async () => {
    const { host: plugin } = host({ maxMessageBytes: 64 * 1024 });
    const first = await plugin.request('pid', {});
    await expect(plugin.request('huge', { bytes: 1024 * 1024 })).rejects.toBeInstanceOf(
      PluginMessageTooLargeError,
    );
    await expect(plugin.request('huge', { bytes: 1000 })).resolves.toHaveLength(1000);
    await expect(plugin.request('pid', {})).resolves.toBe(first);
    await expect(plugin.request('echo', 'y'.repeat(100 * 1024))).rejects.toThrow(
      /larger than 65536 bytes/,
    );
  });

  it('logs stderr line by line, within a budget', async () => {
    const { host: plugin, logger } = host();
    await expect(plugin.request('chatty', { lines: 500 })).resolves.toBe('done');
    await waitFor(() => logger.lines.some(line => line.includes('chat 99')));
    await new Promise(resolve => setTimeout(resolve, 100));
    const chat = logger.lines.filter(line => line.startsWith('info: Plugin test: chat '));
    expect(chat).toHaveLength(100);
    expect(chat[0]).toBe('info: Plugin test: chat 0');
  });

  it("passes the plugin's errors on with their code", async () => {
    const { host: plugin } = host();
    const error = (await plugin.request('fail', {}).catch(e => e)) as PluginRequestError;
    expect(error).toBeInstanceOf(PluginRequestError);
    expect(error.message).toBe('no such thing');
    expect(error.code).toBe('not-found');
  });

  it('gives the plugin only its configured environment', async () => {
    process.env.BACKPACK_TEST_SECRET = 'database password';
    try {
      const { host: plugin } = host({ env: { UPSTREAM: 'http://127.0.0.1:1' } });
      const env = (await plugin.request('env', {})) as Record<string, string>;
      expect(env.UPSTREAM).toBe('http://127.0.0.1:1');
      expect(env.BACKPACK_TEST_SECRET).toBeUndefined();
      // A pyenv shim may put its own directories first.
      expect(env.PATH).toContain(process.env.PATH);
    } finally {
      delete process.env.BACKPACK_TEST_SECRET;
    }
  });

  it('keeps nothing of the backend environment but what finds programs and text', () => {
    const env = pluginEnvironment(
      { INDEX_URL: 'http://127.0.0.1:1', PATH: '/opt/plugin/bin' },
      { PATH: '/usr/bin', LANG: 'C.UTF-8', AWS_SECRET_ACCESS_KEY: 'x', PGPASSWORD: 'y', HOME: '/root' },
    );
    expect(env).toEqual({ PATH: '/opt/plugin/bin', LANG: 'C.UTF-8', INDEX_URL: 'http://127.0.0.1:1' });
  });

  it("serves the plugin's calls to the host's methods", async () => {
    const { host: plugin } = host({
      methods: {
        double: async params => (params as { n: number }).n * 2,
        broken: async () => {
          throw new Error('host side failed');
        },
      },
    });
    await expect(plugin.request('callHost', { method: 'double', params: { n: 21 } })).resolves.toEqual(
      { id: expect.any(String), result: 42 },
    );
    await expect(plugin.request('callHost', { method: 'broken' })).resolves.toMatchObject({
      error: { message: 'host side failed', code: 'failed' },
    });
    await expect(plugin.request('callHost', { method: 'nope' })).resolves.toMatchObject({
      error: { code: 'method-not-found' },
    });
  });

  it('stops when idle and starts again when needed', async () => {
    const { host: plugin } = host({ idleMs: 150 });
    const first = (await plugin.request('pid', {})) as number;
    await waitFor(() => !isAlive(first) && plugin.pid === undefined);
    await expect(plugin.request('pid', {})).resolves.not.toBe(first);
  });

  it('kills a plugin that ignores the polite stop after the grace period, with what it started', async () => {
    const { host: plugin } = host({ env: { STUBBORN: '1' }, graceMs: 500 });
    const pid = (await plugin.request('pid', {})) as number;
    const grandchild = (await plugin.request('spawn', {})) as number;
    expect(isAlive(pid) && isAlive(grandchild)).toBe(true);
    const started = Date.now();
    await plugin.close();
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    await waitFor(() => !isAlive(pid) && !isAlive(grandchild));
    await expect(plugin.request('pid', {})).rejects.toThrow(/shut down/);
  });

  it('stops a cooperative plugin at once on close, failing what it still held', async () => {
    const { host: plugin } = host();
    const pid = (await plugin.request('pid', {})) as number;
    const held = plugin.request('sleep', { ms: 3000 }).catch(error => error as Error);
    await new Promise(resolve => setTimeout(resolve, 50));
    await plugin.close();
    expect(((await held) as Error).message).toMatch(/shut down/);
    expect(isAlive(pid)).toBe(false);
  });
});
