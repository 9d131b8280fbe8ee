/**
 * Tasks that may start more tasks, and one promise for when none is left.
 * A count rather than a set of the tasks' promises awaited with
 * `Promise.all` over and over: each such wait hung a reaction and a result
 * slot on every task still running, thousands at a time, kept until the
 * slowest of them settled. The first failure is kept; the other tasks run on.
 */
export class TaskCount {
  private outstanding = 0;
  private waiting: Array<() => void> = [];
  /** The first task's failure, if any failed. */
  failure: unknown;

  /** Starts a task; one that starts another must do so before it settles. */
  add(task: () => Promise<void>): void {
    this.outstanding += 1;
    task().then(this.settle, this.fail);
  }

  /** Resolves once every task added has settled. */
  async settled(): Promise<void> {
    if (this.outstanding > 0) await new Promise<void>(resolve => this.waiting.push(resolve));
  }

  private readonly settle = (): void => {
    this.outstanding -= 1;
    if (this.outstanding > 0) return;
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  };

  private readonly fail = (error: unknown): void => {
    this.failure ??= error;
    this.settle();
  };
}
