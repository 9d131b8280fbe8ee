import { LoggerService } from '@backstage/backend-plugin-api';
import { BackpackStores } from '../database/createBackpackStores';
import { BackpackEvents } from '../events/BackpackEvents';

/** Options of {@link RunWatcher}. */
export interface RunWatcherOptions {
  stores: Pick<BackpackStores, 'runs'>;
  logger: LoggerService;
  /** This replica, as it claims runs. */
  workerId: string;
  /** Between two checks of the watched runs. Default 5000. */
  intervalMs?: number;
  /** A collecting run whose watcher sent no heartbeat for this long is taken over. Default 60000. */
  staleAfterMs?: number;
  /** Whether a replica that claimed a run is known to be gone (same host, pid not running). */
  isDeadWorker?: (workerId: string) => boolean;
  /** Told when a run settles. */
  events?: BackpackEvents;
}

/** After a file of a watched run settled, how soon the run is checked. */
const NUDGE_MS = 100;
/** Failed artifacts named in a run's error; the rest are counted. */
const NAMED_ARTIFACTS = 10;

/**
 * Settles `collecting` runs: a run stays collecting until every file it
 * queued is collected or parked, then becomes `succeeded` or `partial`.
 *
 * Cheap by design: one grouped count over the watched runs per check (an
 * indexed query on `artifact_files.run_id`), plus a check soon after a file
 * of a watched run settled on this replica. The watcher heartbeats its
 * runs; a collecting run whose watcher went quiet (its replica died) is
 * taken over by another replica's watcher and finished there, never failed.
 */
export class RunWatcher {
  private readonly watched = new Set<string>();
  private readonly intervalMs: number;
  private readonly staleAfterMs: number;
  private timer?: NodeJS.Timeout;
  private due = Infinity;
  private checking: Promise<void> = Promise.resolve();
  private stopped = true;
  /** When this watcher last heartbeat each watched run. */
  private readonly beats = new Map<string, number>();
  /** When abandoned runs are looked for next. */
  private nextTakeOverAt = 0;

  constructor(private readonly options: RunWatcherOptions) {
    this.intervalMs = options.intervalMs ?? 5000;
    this.staleAfterMs = options.staleAfterMs ?? 60_000;
  }

  /** Starts the periodic checks, which also take over abandoned collecting runs. */
  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Watches a run of this replica that just became collecting, and checks it soon. */
  watch(runId: string): void {
    this.watched.add(runId);
    this.schedule(0);
  }

  /** A file of `runId` was collected or parked here: check the run soon. */
  nudge(runId: string): void {
    if (this.watched.has(runId)) this.schedule(NUDGE_MS);
  }

  /**
   * Stops checking; waits for a check in progress and hands the runs it
   * watched over, so another replica (or this one restarted) takes them at
   * once rather than after `staleAfterMs`.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.checking;
    this.watched.clear();
    this.beats.clear();
    await this.options.stores.runs
      .releaseCollectingRuns(this.options.workerId)
      .catch(error => this.options.logger.warn(`Releasing collecting runs failed: ${error}`));
  }

  /** Checks every watched run once, now: for tests and shutdown paths. */
  check(): Promise<void> {
    this.checking = this.checking
      .catch(() => undefined)
      .then(() => this.checkOnce())
      .catch(error => this.options.logger.warn(`Checking collecting runs failed: ${error}`));
    return this.checking;
  }

  /** Runs the next check within `delayMs`, unless one is due sooner. */
  private schedule(delayMs: number) {
    if (this.stopped) return;
    const at = Date.now() + delayMs;
    if (this.timer && at >= this.due) return;
    clearTimeout(this.timer);
    this.due = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.due = Infinity;
      this.check().finally(() => {
        if (!this.timer) this.schedule(this.intervalMs);
      });
    }, delayMs);
    // Watching never keeps the process alive on its own.
    this.timer.unref?.();
  }

  private async checkOnce(): Promise<void> {
    const { stores, workerId, isDeadWorker } = this.options;
    const store = stores.runs;
    // Nudges check every watched run soon after a file settled, many times
    // a second while a run collects; looking for abandoned runs and
    // heartbeating (a write and a commit each) need be done only about once
    // an interval, far within `staleAfterMs`. Half an interval of slack
    // keeps every periodic check doing both, however its timer fires.
    const started = Date.now();
    const slack = this.intervalMs / 2;
    if (started >= this.nextTakeOverAt) {
      this.nextTakeOverAt = started + slack;
      const taken = await store.takeOverCollectingRuns(workerId, {
        staleAfterMs: this.staleAfterMs,
        isDead: isDeadWorker,
      });
      for (const id of taken) {
        this.options.logger.info(`Watching collecting run ${id}, whose watcher stopped`);
        this.watched.add(id);
      }
    }
    if (this.watched.size === 0) return;
    const ids = [...this.watched];
    const outstanding = await store.runsWithOutstandingFiles(ids);
    for (const id of ids) {
      if (outstanding.has(id)) {
        if (started - (this.beats.get(id) ?? -Infinity) < slack) continue;
        await store.heartbeatRun(id);
        this.beats.set(id, started);
      } else {
        await this.settle(id);
      }
    }
  }

  private async settle(id: string) {
    const { stores, logger } = this.options;
    const store = stores.runs;
    this.watched.delete(id);
    this.beats.delete(id);
    const run = await store.getRun(id);
    if (!run || run.status !== 'collecting') return;
    const parked = await store.countParkedFiles(id);
    const status = run.counters.artifactsFailed > 0 || parked > 0 ? 'partial' : 'succeeded';
    const error = [run.error, parked > 0 ? `${parked} files parked` : undefined]
      .filter(Boolean)
      .join('; ');
    if (await store.finishRun(id, { status, error: error || undefined, filesParked: parked, from: 'collecting' })) {
      logger.info(`Mirror run ${id} ${status}${error ? `: ${error}` : ''}`);
      this.options.events?.runFinished(id);
    }
  }
}

/** The error of a run whose discoveries failed, naming the first artifacts. */
export function discoveryErrorSummary(
  failed: Array<{ key: string; message: string }>,
): string | undefined {
  if (failed.length === 0) return undefined;
  const named = failed
    .slice(0, NAMED_ARTIFACTS)
    .map(a => `${a.key} (${a.message.slice(0, 200)})`)
    .join(', ');
  const more = failed.length > NAMED_ARTIFACTS ? ` and ${failed.length - NAMED_ARTIFACTS} more` : '';
  return `Discovery failed for ${failed.length} artifact${failed.length === 1 ? '' : 's'}: ${named}${more}`;
}
