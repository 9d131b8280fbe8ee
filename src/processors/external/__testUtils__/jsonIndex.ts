import { createHash } from 'node:crypto';
import path from 'node:path';
import { HostileUpstream } from '../../../__testUtils__/hostileUpstream';

/** The example processor of the README, as committed. */
export const EXAMPLE_PROCESSOR = path.resolve(
  __dirname,
  '../../../../examples/external-processor/json_index_processor.py',
);

const sha256 = (body: Buffer) => createHash('sha256').update(body).digest('hex');

/**
 * A small ecosystem for the example processor on a real local server:
 * `hello` 1.0.0 and 1.1.0 needing `greeting ^1.0.0`; greeting's document
 * and tarball answer 503 the first time (the upstream client's and the
 * collection's retries), and `broken`
 * lists a file whose digest does not match its bytes; `elsewhere` one on a
 * host the processor's allowedHosts do not name.
 */
export async function startJsonIndex(): Promise<{ upstream: HostileUpstream; downloads: Record<string, number> }> {
  const upstream = await HostileUpstream.start();
  const downloads: Record<string, number> = {};
  const files: Record<string, Buffer> = {
    'hello-1.0.0.tar.gz': Buffer.from('hello one'),
    'hello-1.1.0.tar.gz': Buffer.from('hello one point one'),
    'greeting-1.0.0.tar.gz': Buffer.from('greeting bytes'),
    'broken-1.0.0.tar.gz': Buffer.from('not what the index says'),
  };
  const release = (name: string, dependencies: Record<string, string> = {}, digest?: string) => ({
    published: '2024-05-01T10:00:00Z',
    files: [
      { name, url: `../../files/${name}`, sha256: digest ?? sha256(files[name]), size: files[name].length },
    ],
    dependencies,
  });
  const documents: Record<string, object> = {
    hello: {
      versions: {
        '1.0.0': release('hello-1.0.0.tar.gz', { greeting: '^1.0.0' }),
        '1.1.0': release('hello-1.1.0.tar.gz', { greeting: '^1.0.0' }),
      },
      tags: { latest: '1.1.0' },
    },
    greeting: { versions: { '1.0.0': release('greeting-1.0.0.tar.gz') } },
    broken: { versions: { '1.0.0': release('broken-1.0.0.tar.gz', {}, sha256(Buffer.from('other'))) } },
    // A file on a host (port) the entry's allowedHosts do not name.
    elsewhere: {
      versions: {
        '1.0.0': {
          files: [{ name: 'elsewhere-1.0.0.tar.gz', url: 'http://127.0.0.1:9/elsewhere-1.0.0.tar.gz', sha256: sha256(Buffer.from('x')) }],
        },
      },
    },
  };
  for (const [name, document] of Object.entries(documents)) {
    const body = JSON.stringify(document);
    upstream.on(`/index/${name}/index.json`, (_req, res) => {
      const key = `${name}/index.json`;
      downloads[key] = (downloads[key] ?? 0) + 1;
      // The first read of greeting's document fails: Backpack's fetch retries it.
      if (name === 'greeting' && downloads[key] === 1) {
        res.writeHead(503).end('busy');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  }
  for (const [name, body] of Object.entries(files)) {
    upstream.on(`/files/${name}`, (_req, res) => {
      downloads[name] = (downloads[name] ?? 0) + 1;
      if (name.startsWith('greeting') && downloads[name] === 1) {
        res.writeHead(503).end('try later');
        return;
      }
      res.writeHead(200, { 'content-length': body.length }).end(body);
    });
  }
  return { upstream, downloads };
}
