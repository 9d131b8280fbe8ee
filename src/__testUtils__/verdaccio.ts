import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import semver from 'semver';

/** A verdaccio registry running on 127.0.0.1 for a test. */
export interface TestNpmRegistry {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:43123`. */
  url: string;
  /** The storage directory verdaccio serves (a temporary copy). */
  storage: string;
  /** Writes a package (packument and tarballs) into storage, replacing any previous one. */
  publish(pkg: SyntheticNpmPackage): Promise<void>;
  /** Closes the server and deletes the temporary directory. */
  stop(): Promise<void>;
}

/** Fields of one synthetic version; anything else is copied into the manifest as is. */
export interface SyntheticNpmManifest {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [field: string]: unknown;
}

/** A package to write into a test registry. */
export interface SyntheticNpmPackage {
  name: string;
  versions: Record<string, SyntheticNpmManifest>;
  /** Defaults to `latest` = the highest non-prerelease version. */
  distTags?: Record<string, string>;
}

/** One ustar entry: a 512-byte header, then the content padded to 512 bytes. */
function tarEntry(fileName: string, content: Buffer, mode: number): Buffer {
  const header = Buffer.alloc(512);
  const field = (value: string, offset: number, length: number) =>
    header.write(value.slice(0, length), offset, length, 'ascii');
  const octal = (value: number, length: number) =>
    value.toString(8).padStart(length - 1, '0');
  field(fileName, 0, 100);
  field(octal(mode, 8), 100, 8);
  field(octal(0, 8), 108, 8);
  field(octal(0, 8), 116, 8);
  field(octal(content.length, 12), 124, 12);
  field(octal(0, 12), 136, 12);
  field('        ', 148, 8);
  field('0', 156, 1);
  field('ustar\u000000', 257, 8);
  let checksum = 0;
  for (const byte of header) checksum += byte;
  field(`${octal(checksum, 7)}\u0000 `, 148, 8);
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([header, content, padding]);
}

/**
 * A gzipped ustar archive of a package: its `package.json`, and a script
 * for every command its `bin` names, enough for npm to install and link it.
 */
function tarGz(manifest: Record<string, unknown>): Buffer {
  const entries = [tarEntry('package/package.json', Buffer.from(JSON.stringify(manifest)), 0o644)];
  const bin = manifest.bin;
  let scripts: unknown[] = [];
  if (typeof bin === 'string') scripts = [bin];
  else if (bin && typeof bin === 'object') scripts = Object.values(bin);
  for (const script of scripts as string[]) {
    const body = `#!/usr/bin/env node\nconsole.log(${JSON.stringify(`${manifest.name}@${manifest.version}`)});\n`;
    entries.push(tarEntry(path.posix.join('package', script), Buffer.from(body), 0o755));
  }
  return gzipSync(Buffer.concat([...entries, Buffer.alloc(1024)]));
}

async function writePackage(storage: string, pkg: SyntheticNpmPackage): Promise<void> {
  const dir = path.join(storage, pkg.name);
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(dir, { recursive: true });
  const bare = pkg.name.split('/').pop()!;
  const versions: Record<string, unknown> = {};
  const time: Record<string, string> = {};
  let clock = Date.UTC(2020, 0, 1);
  for (const [version, fields] of Object.entries(pkg.versions)) {
    const manifest = { name: pkg.name, version, ...fields };
    const fileName = `${bare}-${version}.tgz`;
    const tarball = tarGz(manifest);
    await fs.writeFile(path.join(dir, fileName), tarball);
    versions[version] = {
      ...manifest,
      _id: `${pkg.name}@${version}`,
      dist: {
        // verdaccio rewrites tarball URLs to itself when serving.
        tarball: `http://registry.invalid/${pkg.name}/-/${fileName}`,
        integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
        shasum: createHash('sha1').update(tarball).digest('hex'),
      },
    };
    clock += 86_400_000;
    time[version] = new Date(clock).toISOString();
  }
  const stable = Object.keys(pkg.versions).filter(v => semver.valid(v) && !semver.prerelease(v));
  const latest = semver.rsort(stable)[0];
  const packument = {
    name: pkg.name,
    _id: pkg.name,
    versions,
    time: { created: new Date(Date.UTC(2020, 0, 1)).toISOString(), modified: new Date(clock).toISOString(), ...time },
    'dist-tags': pkg.distTags ?? (latest ? { latest } : {}),
    _attachments: {},
    _uplinks: {},
    _distfiles: {},
  };
  await fs.writeFile(path.join(dir, 'package.json'), JSON.stringify(packument, null, 2));
}

// Runs in a child process: a registry is a separate process in real life,
// and on its own core it does not slow down the code under test.
const SERVER_SCRIPT = `
const [verdaccio, root, storage] = process.argv.slice(1);
const path = require('node:path');
require(verdaccio)
  .runServer({
    self_path: root,
    config_path: path.join(root, 'config.yaml'),
    storage,
    uplinks: {},
    packages: {
      '@*/*': { access: '$all', publish: '$all' },
      '**': { access: '$all', publish: '$all' },
    },
    web: { enable: false },
    log: { type: 'stdout', format: 'pretty', level: 'error' },
  })
  .then(server => {
    const stop = () => {
      server.closeAllConnections();
      server.close(() => process.exit(0));
    };
    process.on('message', message => message === 'stop' && stop());
    process.on('disconnect', () => process.exit(0));
    server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
  })
  .catch(error => {
    process.send({ error: String((error && error.stack) || error) });
    process.exit(1);
  });
`;

/**
 * Serves a verdaccio storage directory (`<package>/package.json` and its
 * tarballs) below `root` from a child process; `stop()` deletes `root`.
 */
export async function serveVerdaccio(root: string, storage: string): Promise<TestNpmRegistry> {
  const child = spawn(
    process.execPath,
    ['-e', SERVER_SCRIPT, require.resolve('verdaccio'), root, storage],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()));
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      child.once('message', (message: { port?: number; error?: string }) =>
        message.port ? resolve(message.port) : reject(new Error(`verdaccio: ${message.error}`)),
      );
      child.once('exit', code => reject(new Error(`verdaccio exited with ${code} before listening`)));
      child.once('error', reject);
    });
  } catch (error) {
    child.kill();
    await exited;
    await fs.rm(root, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    storage,
    publish: pkg => writePackage(storage, pkg),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.send('stop');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      await fs.rm(root, { recursive: true, force: true });
    },
  };
}

/**
 * Starts verdaccio over an empty storage directory, with no uplinks, and
 * publishes the given packages into it.
 */
export async function startVerdaccio(packages: SyntheticNpmPackage[] = []): Promise<TestNpmRegistry> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'backpack-verdaccio-'));
  const storage = path.join(root, 'storage');
  await fs.mkdir(storage);
  for (const pkg of packages) await writePackage(storage, pkg);
  return serveVerdaccio(root, storage);
}
