import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startNpmCorpusVerdaccio } from '../../src/__testUtils__/npmCorpus';
import { TestNpmRegistry } from '../../src/__testUtils__/verdaccio';
import { BenchFile, BenchManifest } from '../benchManifest';
import { BackendBuild } from './backendBuild';
import { Child, startServerProcess } from './childProcess';
import { CpuSubject } from './CpuMeter';
import { Deployment } from './Deployment';
import { S3Bucket } from './S3Bucket';

export const S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
export const S3_BUCKET = 'backpack-bench';

/**
 * Everything the benchmarks share during one `npm run bench`: a temp
 * directory, verdaccio over a copy of the frozen npm corpus, an s3rver and
 * the plain upstream file server, each on 127.0.0.1 with a port chosen at
 * run time, and the bench processor's manifest.
 */
export class BenchEnvironment {
  readonly token = randomBytes(24).toString('base64url');
  private readonly sets: Record<string, BenchFile[]> = {};
  private readonly deployments: Deployment[] = [];
  /** The harness's client of the bench bucket. */
  readonly bucket: S3Bucket;

  private constructor(
    /** What every deployment's backends run unless a benchmark says otherwise. */
    readonly build: BackendBuild,
    readonly dir: string,
    readonly verdaccio: TestNpmRegistry,
    readonly s3: { child: Child; endpoint: string; directory: string },
    readonly files: { child: Child; baseUrl: string; root: string },
  ) {
    this.bucket = new S3Bucket(s3.endpoint, S3_BUCKET, S3_CREDENTIALS);
    this.writeManifest();
  }

  static async start(build: BackendBuild): Promise<BenchEnvironment> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backpack-bench-'));
    const started: Array<{ stop(): Promise<void> }> = [];
    try {
      const verdaccio = await startNpmCorpusVerdaccio();
      started.push(verdaccio);
      const s3Directory = path.join(dir, 's3rver');
      fs.mkdirSync(s3Directory);
      const s3 = await startServerProcess({
        name: 's3rver',
        script: 's3Server.ts',
        args: [s3Directory, S3_BUCKET],
        // s3rver 3.7 encrypts ListObjectsV2 continuation tokens with a
        // cipher OpenSSL 3 only has in its legacy provider; without it any
        // listing of more than 1000 keys answers 500 InternalError.
        nodeFlags: ['--openssl-legacy-provider'],
        logFile: path.join(dir, 's3rver.log'),
      });
      started.push(s3.child);
      const root = path.join(dir, 'upstream');
      fs.mkdirSync(root);
      const files = await startServerProcess({
        name: 'file server',
        script: 'fileServer.ts',
        args: [root],
        logFile: path.join(dir, 'file-server.log'),
      });
      started.push(files.child);
      return new BenchEnvironment(
        build,
        dir,
        verdaccio,
        { child: s3.child, endpoint: `http://127.0.0.1:${s3.port}`, directory: s3Directory },
        { child: files.child, baseUrl: `http://127.0.0.1:${files.port}`, root },
      );
    } catch (error) {
      for (const s of started.reverse()) await s.stop().catch(() => {});
      fs.rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  get manifestPath(): string {
    return path.join(this.dir, 'bench-manifest.json');
  }

  private writeManifest(): void {
    const manifest: BenchManifest = { baseUrl: this.files.baseUrl, sets: this.sets };
    fs.writeFileSync(this.manifestPath, JSON.stringify(manifest));
  }

  /** Offers a set of files (already under the file server's root) to the bench processor. */
  addSet(name: string, files: BenchFile[]): void {
    this.sets[name] = files;
    this.writeManifest();
  }

  set(name: string): BenchFile[] | undefined {
    return this.sets[name];
  }

  /** A new deployment (fresh database and queue) on the shared servers. */
  deployment(options: { concurrency?: number; npmRegistry?: string } = {}): Deployment {
    const host = (url: string) => new URL(url).host;
    const npmRegistry = options.npmRegistry ?? this.verdaccio.url;
    const deployment = new Deployment({
      dir: path.join(this.dir, 'deployments'),
      token: this.token,
      npmRegistry,
      s3: { endpoint: this.s3.endpoint, bucket: S3_BUCKET, ...S3_CREDENTIALS },
      allowedHosts: [...new Set([host(npmRegistry), host(this.verdaccio.url), host(this.files.baseUrl)])],
      manifestPath: this.manifestPath,
      concurrency: options.concurrency ?? 8,
      build: this.build,
    });
    this.deployments.push(deployment);
    return deployment;
  }

  /** Disposes a deployment and deletes what it stored in the bucket. */
  async disposeDeployment(deployment: Deployment): Promise<void> {
    const index = this.deployments.indexOf(deployment);
    if (index >= 0) this.deployments.splice(index, 1);
    await deployment.dispose();
    await this.bucket.deletePrefix(`${deployment.id}/`);
  }

  /** CPU subjects for the shared servers. */
  cpuSubjects(): CpuSubject[] {
    return [
      { name: 's3rver', pids: () => [this.s3.child.pid] },
      { name: 'upstream file server', pids: () => [this.files.child.pid] },
    ];
  }

  async stop(): Promise<void> {
    for (const d of this.deployments.splice(0)) {
      await this.disposeDeployment(d).catch(error =>
        console.error(`Cleaning up deployment ${d.id} failed: ${error}`),
      );
    }
    this.bucket.destroy();
    await this.files.child.stop();
    await this.s3.child.stop();
    await this.verdaccio.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
