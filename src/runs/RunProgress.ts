import { LoggerService } from '@backstage/backend-plugin-api';
import { BackpackStores } from '../database/createBackpackStores';
import { MirrorRunCounters } from '../types';

const DEFAULT_FLUSH_MS = 500;

/**
 * Moves a run's counters while it works, so that `GET /runs/:id` shows live
 * progress: increments are gathered in memory and written at most every
 * `flushMs` (one UPDATE per flush, not one per artifact), and on `flush()`.
 */
export class RunProgress {
  private pending: Partial<Record<keyof MirrorRunCounters, number>> = {};
  private timer?: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly options: {
      stores: Pick<BackpackStores, 'runs'>;
      runId: string;
      logger: LoggerService;
      flushMs?: number;
    },
  ) {}

  add(delta: Partial<MirrorRunCounters>): void {
    for (const [key, value] of Object.entries(delta)) {
      if (!value) continue;
      const name = key as keyof MirrorRunCounters;
      this.pending[name] = (this.pending[name] ?? 0) + value;
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.write().catch(error =>
        this.options.logger.warn(
          `Updating the counters of run ${this.options.runId} failed: ${error}`,
        ),
      );
    }, this.options.flushMs ?? DEFAULT_FLUSH_MS);
    // Progress reporting never keeps the process alive.
    this.timer.unref?.();
  }

  /** Writes what has been gathered; resolves when the counters are stored. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    await this.write();
  }

  private write(): Promise<void> {
    const delta = this.pending;
    this.pending = {};
    // Writes are chained so counters never race each other.
    this.writing = this.writing
      .catch(() => undefined)
      .then(() =>
        Object.keys(delta).length
          ? this.options.stores.runs.addRunCounters(this.options.runId, delta)
          : undefined,
      );
    return this.writing;
  }
}
