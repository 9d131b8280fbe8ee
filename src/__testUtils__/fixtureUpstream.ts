import { createHash } from 'node:crypto';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import request from 'supertest';
import { z } from 'zod';
import { semverScheme } from '../processors/npm/semverScheme';
import { BackpackProcessor } from '../processors/types';

// A hostile or flaky upstream for collection tests: a file server whose
// answer per file each test controls, and the `fixture` processor that
// declares its files.

/** How the file server answers for one file. */
export type Behaviour =
  | 'ok'
  /** The right length, one byte different. */
  | 'flip'
  /** 500 on the first request, the file afterwards. */
  | 'fail-once'
  | 'fail-always'
  /** A redirect to the same server under a host name that is not allowed. */
  | 'redirect-out'
  /** Never answers; the request hangs until the client gives up. */
  | 'stall'
  /** Held until the test opens the gate, so that work stays in flight. */
  | 'gated'
  /** 503 on the first two requests, the file afterwards. */
  | 'fail-twice'
  /** 404: the upstream does not have it. */
  | 'missing';

export interface FixtureFile {
  name: string;
  behaviour: Behaviour;
  /** Storage path below the processor's folder; `<id>/<name>` by default. */
  path?: string;
  /** A URI of its own instead of the file server's. */
  uri?: string;
  /** Serve the same file as this artifact does (same URL, same bytes). */
  from?: string;
}

export const contentOf = (id: string, name: string) =>
  Buffer.from(`${id}/${name}\n`.repeat(64));

/** A small HTTP server for the test processor's files, counting requests per path. */
export class FileServer {
  readonly behaviours = new Map<string, Behaviour>();
  readonly requests = new Map<string, number>();
  /** When each request for a path arrived (epoch ms). */
  readonly times = new Map<string, number[]>();
  private gateOpen = false;
  private readonly held: Array<() => void> = [];
  private readonly server = http.createServer((req, res) =>
    this.answer(req, res),
  );
  url = '';

  async start() {
    await new Promise<void>(resolve =>
      this.server.listen(0, '127.0.0.1', resolve),
    );
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Stops listening and drops every connection: requests are refused. */
  async down() {
    this.server.closeAllConnections();
    await new Promise(resolve => this.server.close(resolve));
  }

  /** Listens again on the same port after {@link FileServer.down}. */
  async up() {
    const port = Number(new URL(this.url).port);
    await new Promise<void>(resolve => this.server.listen(port, '127.0.0.1', resolve));
  }

  async close() {
    if (!this.server.listening) return;
    this.server.closeAllConnections();
    await new Promise(resolve => this.server.close(resolve));
  }

  /** Answers the held requests of gated files, and any later ones at once. */
  openGate() {
    this.gateOpen = true;
    this.held.splice(0).forEach(answer => answer());
  }

  /** Requests of gated files waiting for the gate. */
  get heldCount(): number {
    return this.held.length;
  }

  /** Requests seen for a file. */
  count(id: string, name: string): number {
    return this.requests.get(`/files/${id}/${name}`) ?? 0;
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = req.url ?? '';
    this.requests.set(url, (this.requests.get(url) ?? 0) + 1);
    this.times.set(url, [...(this.times.get(url) ?? []), Date.now()]);
    const match = /^\/files\/([^/]+)\/([^/]+)$/.exec(url);
    const behaviour = this.behaviours.get(url);
    if (!match || !behaviour) {
      res.statusCode = 404;
      res.end();
      return;
    }
    const content = contentOf(match[1], match[2]);
    switch (behaviour) {
      case 'flip': {
        const flipped = Buffer.from(content);
        flipped[flipped.length >> 1] ^= 0x01;
        res.end(flipped);
        return;
      }
      case 'fail-once':
        if (this.requests.get(url) === 1) {
          res.statusCode = 500;
          res.end('try again');
          return;
        }
        res.end(content);
        return;
      case 'fail-always':
        res.statusCode = 500;
        res.end('always broken');
        return;
      case 'fail-twice':
        if (this.requests.get(url)! <= 2) {
          res.statusCode = 503;
          res.end('unavailable');
          return;
        }
        res.end(content);
        return;
      case 'missing':
        res.statusCode = 404;
        res.end();
        return;
      case 'redirect-out': {
        const port = new URL(this.url).port;
        res.statusCode = 302;
        res.setHeader('location', `http://localhost:${port}${url}`);
        res.end();
        return;
      }
      case 'stall':
        return;
      case 'gated':
        if (this.gateOpen) res.end(content);
        else this.held.push(() => res.end(content));
        return;
      default:
        res.end(content);
    }
  }
}

/**
 * The `fixture` processor (or another `name`): each artifact has one
 * version, 1.0.0, with the files the test declared. Digests are computed
 * from the good content, so the test decides exactly which bytes match.
 */
export function createFixtureProcessor(
  files: FileServer,
  packages: Map<string, FixtureFile[]>,
  name = 'fixture',
  /** Ids whose discovery fails, as when their registry is down. */
  failing: Set<string> = new Set(),
): BackpackProcessor {
  return {
    name,
    description: 'Files whose upstream answers each test controls',
    configSchema: z.strictObject({}),
    versions: semverScheme,
    allowedHosts: () => [new URL(files.url).host],
    async discover({ id }) {
      if (failing.has(id)) throw new Error(`registry of ${id} is down`);
      return {
        notModified: false,
        versions: [
          {
            version: '1.0.0',
            files: (packages.get(id) ?? []).map(file => {
              const owner = file.from ?? id;
              const content = contentOf(owner, file.name);
              return {
                name: file.name,
                uri: file.uri ?? `${files.url}/files/${owner}/${file.name}`,
                path: file.path ?? `${id}/${file.name}`,
                integrity: {
                  algorithm: 'sha256',
                  digest: createHash('sha256').update(content).digest('hex'),
                },
                size: content.length,
              };
            }),
            dependencies: [],
          },
        ],
      };
    },
  };
}

/**
 * Declares an artifact's files for the fixture processor, sets how `files`
 * answers for each, and adds the artifact through the API; answers the id
 * of the run that adding it started.
 */
export async function addFixtureArtifact(
  server: Parameters<typeof request>[0],
  fixture: { files: FileServer; packages: Map<string, FixtureFile[]>; processor?: string },
  id: string,
  declared: FixtureFile[],
): Promise<string> {
  fixture.packages.set(id, declared);
  for (const file of declared) {
    fixture.files.behaviours.set(`/files/${file.from ?? id}/${file.name}`, file.behaviour);
  }
  const res = await request(server)
    .post('/api/backpack/artifacts')
    .send({ processor: fixture.processor ?? 'fixture', id });
  expect(res.status).toBe(201);
  return res.body.runId;
}

/**
 * The `fixture` processor with its file server and the files each artifact
 * declares: the usual setup of a collection suite. Start and close
 * {@link FixtureUpstream.files} around the suite.
 */
export class FixtureUpstream {
  readonly files = new FileServer();
  readonly packages = new Map<string, FixtureFile[]>();
  readonly processor = createFixtureProcessor(this.files, this.packages);

  /** {@link addFixtureArtifact} on this upstream: declares the files and adds the artifact. */
  add(server: Parameters<typeof request>[0], id: string, declared: FixtureFile[]): Promise<string> {
    return addFixtureArtifact(server, { files: this.files, packages: this.packages }, id, declared);
  }
}
