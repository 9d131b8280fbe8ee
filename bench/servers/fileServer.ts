// The plain upstream HTTP server of the collection benchmarks: serves a
// directory read-only, with an HTML index for directories so that rclone's
// http backend can list it. Runs in its own process; answers `{ port }` over
// IPC and keeps request and byte counters, sent back on `{ type: 'counters' }`.
//
//   node --require @backstage/cli/config/nodeTransform.cjs bench/servers/fileServer.ts <root>

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { serveAsChild } from './childServer';

const root = path.resolve(process.argv[2]);
const counters = { requests: 0, bytes: 0 };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`);
}

async function index(dir: string, urlPath: string): Promise<string> {
  const entries = await fs.promises.readdir(dir, { withFileTypes: true });
  const links = entries
    .sort((a, b) => a.name.localeCompare(b.name))
    .map(e => {
      const name = e.isDirectory() ? `${e.name}/` : e.name;
      return `<a href="${escapeHtml(encodeURIComponent(e.name))}${e.isDirectory() ? '/' : ''}">${escapeHtml(name)}</a>`;
    });
  return `<!DOCTYPE html><html><head><title>Index of ${escapeHtml(urlPath)}</title></head><body><pre>\n${links.join('\n')}\n</pre></body></html>\n`;
}

const server = http.createServer(async (req, res) => {
  counters.requests += 1;
  try {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    const urlPath = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = path.join(root, urlPath);
    if (file !== root && !file.startsWith(`${root}${path.sep}`)) {
      res.writeHead(403).end();
      return;
    }
    const stat = await fs.promises.stat(file).catch(() => undefined);
    if (!stat) {
      res.writeHead(404).end();
      return;
    }
    if (stat.isDirectory()) {
      const body = Buffer.from(await index(file, urlPath));
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'content-length': body.length,
      });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': stat.size,
      'last-modified': stat.mtime.toUTCString(),
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    counters.bytes += stat.size;
    fs.createReadStream(file, { highWaterMark: 256 * 1024 }).pipe(res);
  } catch (error) {
    res.writeHead(500).end(String(error));
  }
});

serveAsChild(server, counters);
