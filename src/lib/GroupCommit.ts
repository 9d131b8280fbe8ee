import { GroupCall } from './GroupCall';

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
  private readonly calls: GroupCall<T, void>;

  /**
   * @param write - writes a batch of items, all or none
   * @param maxBatch - items written at most at once
   */
  constructor(write: (items: T[]) => Promise<void>, maxBatch = 100) {
    this.calls = new GroupCall<T, void>(
      async items => {
        await write(items);
        return items.map(() => undefined);
      },
      maxBatch,
      true,
    );
  }

  /** Resolves once `item` was written; rejects with the write's error. */
  add(item: T): Promise<void> {
    return this.calls.add(item);
  }
}
