import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import request from 'supertest';
import { gzipSync } from 'node:zlib';
import { Knex } from 'knex';
import { binaryBody } from '../../__testUtils__/api';
import { BackpackStores } from '../../database/createBackpackStores';
import { ProcessorDependency, ProcessorVersion } from '../../processors/types';
import { BlobStore } from '../../storage/BlobStore';
import { FileIntegrity } from '../../types';
import { mockServices } from '@backstage/backend-test-utils';
import { ExportService, ExportServiceOptions } from '../ExportService';
import { TAR_END, tarHeader, tarPadding } from '../tar';
import { BundleManifest } from '../manifest';

const exec = promisify(execFile);

/** The verification command of the package. */
export const VERIFY_SCRIPT = path.resolve(__dirname, '../../../bin/backpack-verify-bundle.js');

export const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** An npm tarball holding `package/package.json` with the given manifest. */
export function npmTarball(manifest: Record<string, unknown>): Buffer {
  const content = Buffer.from(JSON.stringify(manifest));
  return gzipSync(
    Buffer.concat([tarHeader('package/package.json', content.length, 0), content, tarPadding(content.length), TAR_END]),
  );
}

/**
 * An ExportService as the bundle suites run it (worker `test`, npm tarball
 * URLs of registry.npmjs.org) over `processors`.
 */
export function testExportService(
  options: Pick<ExportServiceOptions, 'stores' | 'blobStore' | 'partSizeBytes' | 'settleMs' | 'signingKey'> &
    Partial<Pick<ExportServiceOptions, 'composerRepositoryUrl'>> & {
    processors: string[];
  },
): ExportService {
  const { processors, ...rest } = options;
  return new ExportService({
    logger: mockServices.logger.mock(),
    workerId: 'test',
    processorNames: () => processors,
    npmTarballBaseUrl: 'https://registry.npmjs.org/',
    ...rest,
  });
}

/** Copies an export's manifest and parts out of the blob store into `directory`, as a download would. */
export async function downloadBundle(
  blobStore: BlobStore,
  exportId: string,
  directory: string,
): Promise<BundleManifest> {
  await fs.mkdir(directory, { recursive: true });
  const read = async (key: string) => {
    const blob = await blobStore.get(key);
    if (!blob) throw new Error(`${key} is not in the blob store`);
    const chunks: Buffer[] = [];
    for await (const chunk of blob.body) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  };
  const manifestBytes = await read(`exports/${exportId}/manifest.json`);
  await fs.writeFile(path.join(directory, 'manifest.json'), manifestBytes);
  const manifest = JSON.parse(manifestBytes.toString('utf8')) as BundleManifest;
  for (const part of manifest.parts) {
    await fs.writeFile(path.join(directory, part.name), await read(`exports/${exportId}/${part.name}`));
  }
  if (manifest.signing) {
    const name = manifest.signing.signature;
    await fs.writeFile(path.join(directory, name), await read(`exports/${exportId}/${name}`));
  }
  return manifest;
}

/** Downloads an export's manifest and parts over the REST API into `directory`. */
export async function downloadExport(
  server: Parameters<typeof request>[0],
  exportId: string,
  directory: string,
  headers: Record<string, string> = {},
): Promise<BundleManifest> {
  await fs.mkdir(directory, { recursive: true });
  const get = async (url: string) => {
    const res = await request(server).get(url).set(headers).buffer(true).parse(binaryBody);
    if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}`);
    return res;
  };
  const manifestRes = await get(`/api/backpack/exports/${exportId}/manifest`);
  await fs.writeFile(path.join(directory, 'manifest.json'), manifestRes.body);
  const manifest = JSON.parse(manifestRes.body.toString('utf8')) as BundleManifest;
  for (let n = 1; n <= manifest.parts.length; n++) {
    const res = await get(`/api/backpack/exports/${exportId}/parts/${n}`);
    if (res.headers['content-type'] !== 'application/x-tar') {
      throw new Error(`part ${n} came as ${res.headers['content-type']}`);
    }
    const name = /filename="([^"]+)"/.exec(res.headers['content-disposition'])![1];
    await fs.writeFile(path.join(directory, name), res.body);
  }
  if (manifest.signing) {
    const res = await get(`/api/backpack/exports/${exportId}/manifest.sig`);
    await fs.writeFile(path.join(directory, manifest.signing.signature), res.body);
  }
  return manifest;
}

/** Runs the verification command as a receiving side would; never throws on its exit status. */
export async function runVerify(
  directory: string,
  flags: string[] = [],
): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await exec(process.execPath, [VERIFY_SCRIPT, ...flags, directory]);
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

/** Unpacks a downloaded bundle into `target` the documented way: the parts concatenated, through tar. */
export async function unpackBundle(directory: string, manifest: BundleManifest, target: string) {
  await fs.mkdir(target, { recursive: true });
  const parts = manifest.parts.map(p => `'${path.join(directory, p.name)}'`).join(' ');
  await exec('sh', ['-c', `cat ${parts} | tar -x -f - -C '${target}'`]);
}

/** Flips one bit of the byte at `offset` of the bundle's tar stream; answers the part it is in. */
export async function flipByte(directory: string, manifest: BundleManifest, offset: number): Promise<string> {
  let start = 0;
  for (const part of manifest.parts) {
    if (offset < start + part.size) {
      const file = path.join(directory, part.name);
      const bytes = await fs.readFile(file);
      bytes[offset - start] ^= 0x01;
      await fs.writeFile(file, bytes);
      return part.name;
    }
    start += part.size;
  }
  throw new Error(`offset ${offset} is beyond the bundle`);
}

/** A file of a seeded version: its path below the processor's folder and its bytes. */
export interface SeedFile {
  path: string;
  content: Buffer;
  /** The upstream's digest, when not the sha512 of `content` (which the seeder declares otherwise). */
  integrity?: FileIntegrity;
}

/** A seeded version. */
export interface SeedVersion {
  files: SeedFile[];
  dependencies?: ProcessorDependency[];
  /** The upstream's record of the version (a Cargo index line). */
  metadata?: string;
}

/** A version of an npm package with its tarball and dependencies, to seed. */
export const npmVersion = (name: string, version: string, dependencies: Record<string, string> = {}): SeedVersion => ({
  files: [
    {
      path: `${name}/-/${name.split('/').pop()}-${version}.tgz`,
      content: npmTarball({ name, version, dependencies, bin: { [name.split('/').pop()!]: 'cli.js' } }),
    },
  ],
  dependencies: Object.entries(dependencies).map(([id, range]) => ({
    processor: 'npm',
    id,
    range,
    kind: 'runtime' as const,
  })),
});


/**
 * Puts artifacts into the mirror as a run and the collector would: versions
 * recorded as discovered, files' bytes in the blob store and their rows
 * marked collected (now).
 */
export class CollectedSeeder {
  /** Every version seeded so far, by `processor:id`. */
  private readonly declared = new Map<string, Record<string, SeedVersion>>();

  constructor(
    private readonly stores: Pick<BackpackStores, 'artifacts' | 'versions' | 'files'>,
    private readonly knex: Knex,
    private readonly blobStore: BlobStore,
  ) {}

  /** Records the versions (with those seeded before) and collects their files. */
  async seed(processor: string, id: string, versions: Record<string, SeedVersion>): Promise<void> {
    const key = `${processor}:${id}`;
    const all = { ...this.declared.get(key), ...versions };
    this.declared.set(key, all);
    const artifact = await this.stores.artifacts.ensureArtifact({
      processor,
      id,
      config: {},
      root: true,
      dependencyPolicy: 'latest',
    });
    const processorVersions: ProcessorVersion[] = Object.entries(all).map(([version, v]) => ({
      version,
      publishedAt: '2026-01-01T00:00:00.000Z',
      files: v.files.map(f => ({
        name: f.path.slice(f.path.lastIndexOf('/') + 1),
        uri: `http://upstream.test/${f.path}`,
        path: f.path,
        integrity: f.integrity ?? { algorithm: 'sha512', digest: createHash('sha512').update(f.content).digest('hex') },
        size: f.content.length,
      })),
      dependencies: v.dependencies ?? [],
      ...(v.metadata !== undefined ? { metadata: v.metadata } : {}),
    }));
    await this.stores.versions.syncVersions(artifact.ref, processorVersions);
    const contents = new Map(
      Object.entries(versions).flatMap(([version, v]) =>
        v.files.map(f => [`${version}\0${f.path.slice(f.path.lastIndexOf('/') + 1)}`, f.content]),
      ),
    );
    const rows: Array<{ ref: number; storage_key: string; name: string; version: string }> =
      await this.knex('artifact_files as f')
        .join('artifact_versions as v', 'v.ref', 'f.version_ref')
        .where('v.artifact_ref', artifact.ref)
        .whereIn('v.version', Object.keys(versions))
        .select('f.ref', 'f.storage_key', 'f.name', 'v.version');
    for (const row of rows) {
      const content = contents.get(`${row.version}\0${row.name}`)!;
      await this.blobStore.put(row.storage_key, Readable.from([content]));
      await this.stores.files.markCollected(row.ref, {
        size: content.length,
        digest: sha256(content),
        storageKey: row.storage_key,
      });
    }
  }
}

/** A static file server nobody wrote for Backpack: `python3 -m http.server`. */
export interface StaticServer {
  /** Base URL with a trailing slash. */
  url: string;
  /** The access log so far. */
  log(): string;
  stop(): Promise<void>;
}

/** Starts `python3 -m http.server` over `directory` on 127.0.0.1. */
export async function startStaticServer(directory: string): Promise<StaticServer> {
  const child = spawn(
    'python3',
    ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', directory],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()));
  let log = '';
  child.stderr!.on('data', chunk => {
    log += chunk;
  });
  const port = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', chunk => {
      output += chunk;
      const match = /port (\d+)/.exec(output);
      if (match) resolve(match[1]);
    });
    child.once('exit', code => reject(new Error(`http.server exited with ${code}: ${output}${log}`)));
    child.once('error', reject);
  });
  return {
    url: `http://127.0.0.1:${port}/`,
    log: () => log,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill();
        await exited;
      }
    },
  };
}
