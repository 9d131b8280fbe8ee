import { BackpackFileOutcome } from './topics';

/** How file outcomes are batched. */
export interface FileBatchSettings {
  /** A run's batch is published once it holds this many files. */
  batchSize: number;
  /** ... or this long after its first file, whichever comes first. */
  flushAfterMs: number;
}

/** What a flush hands over: one run's files of one outcome, in the order they settled. */
export type FileBatchSink<T> = (runId: string | undefined, outcome: BackpackFileOutcome, files: T[]) => void;

interface Batch<T> {
  entries: Array<{ outcome: BackpackFileOutcome; entry: T }>;
  timer?: NodeJS.Timeout;
}

/**
 * Batches file outcomes per run, so that a run of ten thousand files
 * publishes tens of events rather than ten thousand: a run's batch is
 * flushed when it is full, a while after its first file, and when the run
 * finishes. Files settled outside a run (sweeps, retries) share one batch.
 */
export class FileEventBatcher<T> {
  private readonly batches = new Map<string, Batch<T>>();

  constructor(
    private readonly settings: FileBatchSettings,
    private readonly sink: FileBatchSink<T>,
  ) {}

  add(runId: string | undefined, outcome: BackpackFileOutcome, entry: T): void {
    const key = runId ?? '';
    let batch = this.batches.get(key);
    if (!batch) {
      batch = { entries: [] };
      this.batches.set(key, batch);
      batch.timer = setTimeout(() => this.flush(runId), this.settings.flushAfterMs);
      // A pending batch never keeps the process alive on its own.
      batch.timer.unref?.();
    }
    batch.entries.push({ outcome, entry });
    if (batch.entries.length >= this.settings.batchSize) this.flush(runId);
  }

  /** Hands over the run's batch now, e.g. because the run finished. */
  flush(runId: string | undefined): void {
    const key = runId ?? '';
    const batch = this.batches.get(key);
    if (!batch) return;
    this.batches.delete(key);
    clearTimeout(batch.timer);
    const byOutcome = new Map<BackpackFileOutcome, T[]>();
    for (const { outcome, entry } of batch.entries) {
      const files = byOutcome.get(outcome) ?? [];
      files.push(entry);
      byOutcome.set(outcome, files);
    }
    for (const [outcome, files] of byOutcome) this.sink(runId, outcome, files);
  }

  /** Hands over every batch, e.g. at shutdown. */
  flushAll(): void {
    for (const key of [...this.batches.keys()]) this.flush(key === '' ? undefined : key);
  }

  /** Files waiting in batches. */
  get size(): number {
    let n = 0;
    for (const batch of this.batches.values()) n += batch.entries.length;
    return n;
  }
}
