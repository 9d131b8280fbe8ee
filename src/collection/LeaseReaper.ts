import { BackpackStores } from '../database/createBackpackStores';
import { JobQueue } from './queue/JobQueue';

/**
 * Takes back the files of workers that died: frequent and cheap (one
 * indexed query), so that a crashed replica's files are collected by
 * another soon after their leases ran out (a live worker renews its
 * leases), not at the next sweep.
 */
export class LeaseReaper {
  constructor(
    private readonly options: { stores: Pick<BackpackStores, 'files'>; queue: JobQueue },
  ) {}

  /**
   * Queues again the files whose lease expired, each by exactly one
   * replica. With `isDead`, the leases of the workers it names end first,
   * e.g. of the processes on this host that no longer run.
   *
   * @returns how many files were queued again
   */
  async reap(options: { isDead?: (worker: string) => boolean } = {}): Promise<number> {
    const { stores, queue } = this.options;
    const store = stores.files;
    if (options.isDead) {
      const isDead = options.isDead;
      const dead = (await store.listLeaseHolders()).filter(worker => isDead(worker));
      if (dead.length) await store.expireLeases(dead);
    }
    const taken = await store.takeExpiredLeases();
    if (taken.length === 0) return 0;
    await queue.enqueue(
      taken.map(({ ref, runId }) => ({
        fileRef: ref,
        key: `file-${ref}`,
        ...(runId ? { runId } : {}),
        attempt: 1,
      })),
    );
    return taken.length;
  }
}
