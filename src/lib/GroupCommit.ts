interface Waiting<T> {
  item: T;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Writes items in batches without delaying any of them: an item added
 * while nothing is being written is written at once, alone; items added
 * while a write is in flight are gathered and written together right
 * after it. Under load, many callers share one write (one commit);
 * unloaded, each is written as soon as it comes. Each `add` resolves only
 * once its own item was written.
 *
 * When a batch of several fails, its items are written again one by one,
 * so one bad item fails only its own caller.
 */
export class GroupCommit<T> {
  private waiting: Array<Waiting<T>> = [];
  private writing = false;

  /**
   * @param write - writes a batch of items, all or none
   * @param maxBatch - items written at most at once
   */
  constructor(
    private readonly write: (items: T[]) => Promise<void>,
    private readonly maxBatch = 100,
  ) {}

  /** Resolves once `item` was written; rejects with the write's error. */
  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, this.maxBatch);
        try {
          await this.write(batch.map(w => w.item));
          for (const w of batch) w.resolve();
        } catch (error) {
          if (batch.length === 1) {
            batch[0].reject(error);
            continue;
          }
          for (const w of batch) {
            await this.write([w.item]).then(w.resolve, w.reject);
          }
        }
      }
    } finally {
      this.writing = false;
    }
  }
}
