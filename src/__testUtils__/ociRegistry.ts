import { ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import net, { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { pollUntil } from './waitFor';

// The real parts of the OCI tests: the CNCF distribution registry from
// Debian's `docker-registry` package, and Debian's `skopeo` as the client
// (CI installs both, see .ci/run), plus a token-auth front for the registry.

const run = promisify(execFile);

/** Whether `docker-registry` and `skopeo` are installed; suites that need them skip without. */
export function hasOciTools(): boolean {
  return ['docker-registry', 'skopeo'].every(
    tool => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0,
  );
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise(resolve => server.close(resolve));
  return port;
}

/** A running distribution registry on 127.0.0.1 with a temporary storage directory. */
export interface TestDockerRegistry {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `127.0.0.1:<port>`, as image references name it. */
  host: string;
  stop(): Promise<void>;
}

/** Starts `docker-registry serve` on a free port; answers once `/v2/` does. */
export async function startDockerRegistry(): Promise<TestDockerRegistry> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'backpack-registry-'));
  const port = await freePort();
  const config = path.join(dir, 'config.yml');
  await fs.writeFile(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: error',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${path.join(dir, 'data')}`,
      'http:',
      `  addr: 127.0.0.1:${port}`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('docker-registry', ['serve', config], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise(resolve => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await fs.rm(dir, { recursive: true, force: true });
  };
  try {
    await pollUntil(
      'docker-registry answering /v2/',
      async () => (await fetch(`${url}/v2/`).catch(() => undefined))?.status,
      status => status === 200,
      { attempts: 200 },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, host: `127.0.0.1:${port}`, stop };
}

/** Runs skopeo; rejects with its stderr when it fails. */
export async function skopeo(args: string[]): Promise<string> {
  try {
    const { stdout } = await run('skopeo', args, { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(`skopeo ${args.join(' ')} failed: ${stderr ?? error}`);
  }
}

/** Pushes every manifest of `oci:<layout>:<tag>` to `<host>/<repository>:<tag>`, digests unchanged. */
export function pushLayout(layout: string, tag: string, host: string, repository: string): Promise<string> {
  return skopeo([
    'copy', '--all', '--preserve-digests', '--dest-tls-verify=false',
    `oci:${layout}:${tag}`, `docker://${host}/${repository}:${tag}`,
  ]);
}

/** A token-auth front for a registry, whose blobs are redirected to a "CDN" on another origin. */
export interface TokenRegistry {
  url: string;
  /** `127.0.0.1:<port>` of the CDN blobs are redirected to. */
  cdnHost: string;
  /** Tokens the realm issued. */
  tokensIssued: string[];
  /** The Authorization headers the CDN received (none should arrive). */
  cdnAuthorizations: Array<string | undefined>;
  close(): Promise<void>;
}

function forward(target: string, req: http.IncomingMessage, res: http.ServerResponse) {
  const upstream = http.request(target, { method: req.method, headers: { accept: req.headers.accept ?? '*/*' } }, answer => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  upstream.on('error', () => res.writeHead(502).end());
  upstream.end();
}

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/**
 * Starts a front for `registryUrl` that answers `/v2/` requests without
 * its bearer token with a `WWW-Authenticate: Bearer` challenge naming its
 * own `/token` realm, which needs `username:password`, and redirects blob
 * downloads to a second server, the CDN, which serves them to anyone.
 */
export async function startTokenRegistry(
  registryUrl: string,
  credentials: { username: string; password: string },
): Promise<TokenRegistry> {
  const tokensIssued: string[] = [];
  const cdnAuthorizations: Array<string | undefined> = [];
  const cdn = http.createServer((req, res) => {
    cdnAuthorizations.push(req.headers.authorization);
    const target = new URL(req.url ?? '/', 'http://cdn').searchParams.get('path') ?? '/';
    forward(`${registryUrl}${target}`, req, res);
  });
  const cdnUrl = await listen(cdn);
  const basic = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  // Known once the front listens; requests come only after that.
  let frontUrl = '';
  const front = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://front');
    if (url.pathname === '/token') {
      if (req.headers.authorization !== basic) {
        res.writeHead(401).end();
        return;
      }
      const token = `t${tokensIssued.length}-${url.searchParams.get('scope')}`;
      tokensIssued.push(token);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, expires_in: 300 }));
      return;
    }
    const token = req.headers.authorization?.replace(/^Bearer /, '');
    const scope = /^\/v2\/(.+)\/(?:manifests|blobs|tags)\//.exec(url.pathname)?.[1];
    if (!token || !tokensIssued.includes(token) || (scope && !token.endsWith(`repository:${scope}:pull`))) {
      res.writeHead(401, {
        'www-authenticate': `Bearer realm="${frontUrl}/token",service="test-registry",scope="repository:${scope}:pull"`,
      });
      res.end();
      return;
    }
    if (/\/blobs\//.test(url.pathname)) {
      res.writeHead(307, { location: `${cdnUrl}/storage?path=${encodeURIComponent(url.pathname)}` }).end();
      return;
    }
    forward(`${registryUrl}${url.pathname}${url.search}`, req, res);
  });
  frontUrl = await listen(front);
  return {
    url: frontUrl,
    cdnHost: new URL(cdnUrl).host,
    tokensIssued,
    cdnAuthorizations,
    async close() {
      for (const server of [front, cdn]) {
        server.closeAllConnections();
        await new Promise(resolve => server.close(resolve));
      }
    },
  };
}
