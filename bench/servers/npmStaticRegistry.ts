// The synthetic npm upstream of the scale benchmark: serves the packuments
// a generator wrote (`<root>/<name>.json`) with a strong ETag and answers a
// matching If-None-Match with 304, as registries do; tarballs are generated
// from their path (see ../scale/syntheticNpm.ts). Runs in its own process;
// answers `{ port }` over IPC, and `{ counters }` on `{ type: 'counters' }`.
//
//   node --require @backstage/cli/config/nodeTransform.cjs bench/servers/npmStaticRegistry.ts <root>

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { tarballBytes } from '../scale/syntheticNpm';
import { serveAsChild } from './childServer';

const root = path.resolve(process.argv[2]);
const counters = { requests: 0, notModified: 0, packuments: 0, tarballs: 0 };
/** ETags by package, computed once per file. */
const etags = new Map<string, string>();

const TARBALL = /^\/([a-z0-9-]+)\/-\/\1-(\d+\.\d+\.\d+)\.tgz$/;
const PACKUMENT = /^\/([a-z0-9-]+)$/;

const server = http.createServer(async (req, res) => {
  counters.requests += 1;
  try {
    const urlPath = new URL(req.url ?? '/', 'http://x').pathname;
    const tarball = TARBALL.exec(urlPath);
    if (req.method === 'GET' && tarball) {
      counters.tarballs += 1;
      const body = tarballBytes(tarball[1], tarball[2]);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
      res.end(body);
      return;
    }
    const packument = PACKUMENT.exec(urlPath);
    if (req.method !== 'GET' || !packument) {
      res.writeHead(404).end();
      return;
    }
    const file = path.join(root, `${packument[1]}.json`);
    const body = await fs.promises.readFile(file).catch(() => undefined);
    if (!body) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    let etag = etags.get(file);
    if (!etag) {
      etag = `"${createHash('sha1').update(body).digest('base64url')}"`;
      etags.set(file, etag);
    }
    if (req.headers['if-none-match'] === etag) {
      counters.notModified += 1;
      res.writeHead(304, { etag }).end();
      return;
    }
    counters.packuments += 1;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length, etag });
    res.end(body);
  } catch (error) {
    res.writeHead(500).end(String(error));
  }
});

serveAsChild(server, counters);
