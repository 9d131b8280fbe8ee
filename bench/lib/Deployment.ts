import amqp from 'amqplib';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import knexFactory, { Knex } from 'knex';
import { BackendBuild } from './backendBuild';
import { BackendProcess } from './BackendProcess';

/** Local services every deployment uses (see ../shared/ENVIRONMENT.md). */
export const POSTGRES = { host: '127.0.0.1', port: 5432, user: 'postgres' };
export const RABBITMQ_URL = 'amqp://guest:guest@127.0.0.1:5672';
const RETRY_DELAYS_MS = [1000, 5000];

/** What a deployment is wired to. */
export interface DeploymentSettings {
  /** A directory of the run's temp dir for config, logs and profiles. */
  dir: string;
  token: string;
  npmRegistry: string;
  s3: { endpoint: string; bucket: string; accessKeyId: string; secretAccessKey: string };
  /** `host:port` entries the collector may fetch from. */
  allowedHosts: string[];
  manifestPath: string;
  /** Files collected at once per replica (and RabbitMQ prefetch). */
  concurrency: number;
  /** What the backends run: the built package or the source. */
  build: BackendBuild;
}

/** A free TCP port on 127.0.0.1, for a backend's `backend.listen.port`. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * One Backpack installation for a measurement: a fresh PostgreSQL database
 * (through `backend.database.prefix`), its own RabbitMQ queue, and one or
 * more backend processes sharing them. {@link dispose} stops the processes,
 * drops the database and deletes the queues.
 */
export class Deployment {
  readonly id = `bench_${randomBytes(4).toString('hex')}`;
  readonly queue = `backpack.bench.${this.id}`;
  readonly backends: BackendProcess[] = [];
  private readonly configFile: string;
  private knexClient?: Knex;
  private disposed = false;
  private replicas = 0;

  constructor(private readonly settings: DeploymentSettings) {
    fs.mkdirSync(settings.dir, { recursive: true });
    this.configFile = path.join(settings.dir, `${this.id}.app-config.yaml`);
    fs.writeFileSync(this.configFile, JSON.stringify(this.config(), null, 2));
  }

  /** The database the plugin uses: `<prefix><pluginId>`. */
  get databaseName(): string {
    return `${this.id}_backpack`;
  }

  /** The generated app-config (JSON is YAML). */
  config() {
    const { s3 } = this.settings;
    return {
      backend: {
        database: {
          client: 'pg',
          connection: POSTGRES,
          prefix: `${this.id}_`,
        },
        auth: {
          externalAccess: [
            { type: 'static', options: { token: this.settings.token, subject: 'bench' } },
          ],
        },
      },
      bench: { manifest: this.settings.manifestPath },
      backpack: {
        // Out of the way: the benchmarks start every run themselves.
        schedule: {
          frequency: { hours: 24 },
          timeout: { hours: 3 },
          initialDelay: { hours: 24 },
        },
        processors: {
          npm: { registry: this.settings.npmRegistry },
          pypi: { enabled: false },
          maven: { enabled: false },
        },
        allowedHosts: this.settings.allowedHosts,
        queue: {
          concurrency: this.settings.concurrency,
          maxAttempts: 3,
          retryDelaysMs: RETRY_DELAYS_MS,
          rabbitmq: { url: RABBITMQ_URL, queue: this.queue },
        },
        storage: {
          s3: {
            bucket: s3.bucket,
            // Keys of every deployment are apart, so no run finds objects
            // an earlier one stored.
            prefix: this.id,
            endpoint: s3.endpoint,
            region: 'us-east-1',
            forcePathStyle: true,
            credentials: {
              accessKeyId: s3.accessKeyId,
              secretAccessKey: s3.secretAccessKey,
            },
          },
        },
      },
    };
  }

  /** The config files of replica `index`: the shared one plus its own listen port. */
  private async replicaConfig(index: number): Promise<{ files: string[]; port: number }> {
    const port = await freePort();
    const file = path.join(this.settings.dir, `${this.id}.replica-${index}.yaml`);
    fs.writeFileSync(
      file,
      JSON.stringify({
        backend: {
          baseUrl: `http://127.0.0.1:${port}`,
          listen: { host: '127.0.0.1', port },
        },
      }),
    );
    return { files: [this.configFile, file], port };
  }

  /**
   * Starts one more backend replica of this deployment and waits until it
   * answers; `build` defaults to the run's (see {@link BackendBuild}).
   */
  async startBackend(
    options: {
      script?: string;
      transform?: boolean;
      repoRoot?: string;
      build?: BackendBuild;
      memoryLog?: boolean;
      nodeFlags?: string[];
    } = {},
  ): Promise<BackendProcess> {
    const index = this.replicas++;
    const { files, port } = await this.replicaConfig(index);
    const name = `${this.id}-${index}`;
    const profileDir = path.join(this.settings.dir, `${name}-profiles`);
    fs.mkdirSync(profileDir, { recursive: true });
    const backend = await BackendProcess.start({
      name,
      configFiles: files,
      port,
      logFile: path.join(this.settings.dir, `${name}.log`),
      profileDir,
      ...options,
      build: options.build ?? this.settings.build,
    });
    this.backends.push(backend);
    return backend;
  }

  /** A knex client on the plugin's database (after a backend migrated it). */
  db(): Knex {
    this.knexClient ??= knexFactory({
      client: 'pg',
      connection: { ...POSTGRES, database: this.databaseName },
      pool: { min: 0, max: 4 },
    });
    return this.knexClient;
  }

  /** Stops one replica. */
  async stopBackend(backend: BackendProcess): Promise<void> {
    const index = this.backends.indexOf(backend);
    if (index >= 0) this.backends.splice(index, 1);
    await backend.stop();
  }

  /** Stops every replica. */
  async stopBackends(): Promise<void> {
    await Promise.all(this.backends.splice(0).map(b => b.stop()));
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.stopBackends();
    await this.knexClient?.destroy();
    const admin = knexFactory({
      client: 'pg',
      connection: { ...POSTGRES, database: 'postgres' },
    });
    try {
      await admin.raw(`DROP DATABASE IF EXISTS ?? WITH (FORCE)`, [this.databaseName]);
    } finally {
      await admin.destroy();
    }
    const connection = await amqp.connect(RABBITMQ_URL);
    try {
      const channel = await connection.createChannel();
      for (const name of [
        this.queue,
        `${this.queue}.parked`,
        ...RETRY_DELAYS_MS.map(ms => `${this.queue}.retry.${ms}`),
      ]) {
        await channel.deleteQueue(name);
      }
    } finally {
      await connection.close();
    }
  }
}
