import { MirrorRun } from '../../src/types';

/** A response of the REST API. */
export interface ApiResponse<T = any> {
  status: number;
  body: T;
}

/** Raised when the API answers with a status the caller did not expect. */
export class ApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`${method} /api/backpack${path} answered ${status}: ${JSON.stringify(body).slice(0, 500)}`);
  }
}

/** Timestamps of a run as the harness saw it, in epoch milliseconds. */
export interface RunTiming {
  run: MirrorRun;
  /** When the request that started the run was sent. */
  requestedAt: number;
  /** When the harness first saw the walk finished (status succeeded). */
  walkDoneSeenAt: number;
  /** When the harness saw every queued file collected or failed. */
  doneAt: number;
}

/** A small client of /api/backpack with the static token of the deployment. */
export class BackpackApi {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
  ) {}

  async request<T = any>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON; keep the text for the error message.
    }
    return { status: response.status, body: parsed as T };
  }

  /** Like {@link request}, but throws unless the status is one of `expected`. */
  async expect<T = any>(
    expected: number[],
    method: string,
    path: string,
    body?: unknown,
  ): Promise<T> {
    const response = await this.request<T>(method, path, body);
    if (!expected.includes(response.status)) {
      throw new ApiError(method, path, response.status, response.body);
    }
    return response.body;
  }

  /** POST /artifacts: adds a root artifact, which starts a run scoped to it. */
  createArtifact(body: object): Promise<{ runId: string; [key: string]: unknown }> {
    return this.expect([201], 'POST', '/artifacts', body);
  }

  /** POST /runs: a full run (or one scoped to an artifact). */
  startRun(body: object = {}): Promise<MirrorRun> {
    return this.expect([202], 'POST', '/runs', body);
  }

  getRun(id: string): Promise<MirrorRun> {
    return this.expect([200], 'GET', `/runs/${encodeURIComponent(id)}`);
  }

  /**
   * Waits until the walk of a run is over and every file it queued was
   * collected or parked; polls every `pollMs` (default 25 ms) at first, then
   * every 2 % of the run's age, at most every 250 ms. Throws when the run
   * fails or files are parked.
   */
  async waitForRun(
    runId: string,
    requestedAt: number,
    options: {
      timeoutMs?: number;
      pollMs?: number;
      /** Called once, when the harness first sees the walk over (e.g. to read counters between the phases). */
      onWalkDone?: () => Promise<void>;
    } = {},
  ): Promise<RunTiming> {
    const deadline = Date.now() + (options.timeoutMs ?? 10 * 60_000);
    let walkDoneSeenAt: number | undefined;
    for (;;) {
      const run = await this.getRun(runId);
      if (run.status === 'failed' || run.status === 'partial') {
        throw new Error(`Run ${runId} ${run.status}: ${run.error}`);
      }
      // The walk is over once the run collects (or settled).
      if ((run.status === 'collecting' || run.status === 'succeeded') && walkDoneSeenAt === undefined) {
        walkDoneSeenAt = Date.now();
        await options.onWalkDone?.();
      }
      if (run.status === 'succeeded' && walkDoneSeenAt !== undefined) {
        const { filesQueued, filesCollected, filesFailed } = run.counters;
        if (filesCollected + filesFailed >= filesQueued) {
          if (filesFailed > 0) {
            throw new Error(
              `Run ${runId}: ${filesFailed} of ${filesQueued} files failed (see GET /artifacts/.../files?status=parked)`,
            );
          }
          return { run, requestedAt, walkDoneSeenAt, doneAt: Date.now() };
        }
      }
      if (Date.now() > deadline) {
        throw new Error(`Run ${runId} not done in time: ${JSON.stringify(run)}`);
      }
      // Polls often while a run is young and less as it ages, so that the
      // polls neither blur short runs nor load the backend during long ones.
      const age = Date.now() - requestedAt;
      const pollMs = Math.min(250, Math.max(options.pollMs ?? 25, age / 50));
      await new Promise(r => setTimeout(r, pollMs));
    }
  }
}

/** Phases of a run in seconds, from the server's timestamps and the harness's observations. */
export function runPhases(timing: RunTiming): {
  total: number;
  walk: number;
  collectionAfterWalk: number;
} {
  const { run } = timing;
  const started = Date.parse(run.startedAt ?? run.createdAt);
  // `finishedAt` is when the run settled, after its collection; the walk
  // ended when the harness first saw the run collecting.
  const finished = timing.walkDoneSeenAt;
  return {
    total: (timing.doneAt - timing.requestedAt) / 1000,
    walk: (finished - started) / 1000,
    collectionAfterWalk: Math.max(0, (timing.doneAt - finished) / 1000),
  };
}
