import { JsonObject } from '@backstage/types';
import { Knex } from 'knex';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ServeTestBackend, startServeBackend } from '../../__testUtils__/serveBackend';

/** The upstream a view's acceptance test mirrors from. */
export interface TestUpstream {
  /** Base URL, e.g. `http://127.0.0.1:43123`. */
  url: string;
  stop(): Promise<void>;
}

/** What {@link mirrorThenStopUpstream} set up; read it inside tests. */
export interface OfflineMirror {
  /** The plugin, with the static token of native clients. */
  readonly backend: ServeTestBackend;
  /** A temporary directory for the test (and native clients), removed after all. */
  readonly work: string;
  /** Files by status once collection settled. */
  readonly counts: Record<string, number>;
}

/**
 * The setup of a registry view's acceptance test, as hooks of the enclosing
 * `describe`: before all, starts the upstream, mirrors the roots into a new
 * plugin, waits until their files are collected, then stops the upstream,
 * so that from there on the mirror is all there is; after all, stops
 * everything and removes the work directory.
 */
export function mirrorThenStopUpstream<U extends TestUpstream>(options: {
  /** Starts the upstream; `work` is there for files it is built from. */
  startUpstream(work: string): Promise<U>;
  /** The `backpack.processors` config that reads from the upstream. */
  processors(upstream: U): JsonObject;
  roots: Array<{ processor: string; id: string; filter?: string; config?: JsonObject }>;
  /** Reads from the upstream, before it stops, what the tests compare with. */
  beforeStop?(upstream: U): Promise<void>;
  /** The database, e.g. PostgreSQL from `TestDatabases`; SQLite in memory without it. */
  database?(): Promise<Knex>;
}): OfflineMirror {
  let upstream: U | undefined;
  let backend: ServeTestBackend | undefined;
  let work: string | undefined;
  let counts: Record<string, number> | undefined;

  beforeAll(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'backpack-view-'));
    const started = await options.startUpstream(work);
    upstream = started;
    await options.beforeStop?.(started);
    backend = await startServeBackend(
      {
        processors: options.processors(started),
        allowedHosts: [new URL(started.url).host],
      },
      { knex: await options.database?.() },
    );
    for (const root of options.roots) await backend.addRoot(root);
    counts = await backend.waitForCollection();
    await started.stop();
    upstream = undefined;
  });

  afterAll(async () => {
    await upstream?.stop();
    await backend?.stop();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is not set up (did beforeAll fail?)`);
    return value;
  };
  return {
    get backend() {
      return ready(backend, 'the backend');
    },
    get work() {
      return ready(work, 'the work directory');
    },
    get counts() {
      return ready(counts, 'the collection');
    },
  };
}
