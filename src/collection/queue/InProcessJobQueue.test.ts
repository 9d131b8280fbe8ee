import { InProcessJobQueue } from './InProcessJobQueue';
import { CollectJob, JobOutcome } from './JobQueue';

const job = (n: number): CollectJob => ({
  fileRef: n,
  key: `npm/pkg/${n}.tgz`,
  attempt: 1,
});

async function waitFor(predicate: () => boolean | Promise<boolean>) {
  for (let i = 0; i < 500; i++) {
    if (await predicate()) return;
    await new Promise(resolve => setTimeout(resolve, 10));
  }
  throw new Error('Timed out waiting for condition');
}

/** A promise with its resolve function, to hold handlers open. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>(resolve => {
    open = resolve;
  });
  return { open, opened };
}

describe('InProcessJobQueue', () => {
  let queue: InProcessJobQueue;

  afterEach(async () => {
    await queue.stop();
  });

  it('runs every job once and never more handlers than the concurrency at once', async () => {
    queue = new InProcessJobQueue({ concurrency: 3 });
    const seen: number[] = [];
    let running = 0;
    let maxRunning = 0;
    await queue.enqueue(Array.from({ length: 20 }, (_, i) => job(i)));
    await queue.consume(async j => {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      await new Promise(resolve => setImmediate(resolve));
      seen.push(j.fileRef);
      running -= 1;
      return 'done';
    });
    await waitFor(() => seen.length === 20);
    expect(maxRunning).toBe(3);
    expect([...seen].sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => i),
    );
    expect(await queue.depth()).toEqual({
      ready: 0,
      inFlight: 0,
      delayed: 0,
      parked: 0,
    });
  });

  it('retries with an increasing attempt until the handler is done', async () => {
    queue = new InProcessJobQueue({ retryDelaysMs: [5] });
    const attempts: number[] = [];
    await queue.consume(async j => {
      attempts.push(j.attempt);
      return j.attempt < 3 ? 'retry' : 'done';
    });
    await queue.enqueue([job(1)]);
    await waitFor(() => attempts.length === 3);
    await waitFor(async () => (await queue.depth()).inFlight === 0);
    expect(attempts).toEqual([1, 2, 3]);
    expect(await queue.depth()).toMatchObject({ delayed: 0, parked: 0 });
  });

  it('keeps a retrying job as delayed until its backoff passed', async () => {
    queue = new InProcessJobQueue({ retryDelaysMs: [60_000] });
    await queue.consume(async () => 'retry');
    await queue.enqueue([job(1)]);
    await waitFor(async () => (await queue.depth()).delayed === 1);
    expect(await queue.depth()).toEqual({
      ready: 0,
      inFlight: 0,
      delayed: 1,
      parked: 0,
    });
  });

  it('parks a job whose handler says park', async () => {
    queue = new InProcessJobQueue();
    const outcomes: Record<number, JobOutcome> = { 1: 'park', 2: 'done' };
    const handled: number[] = [];
    await queue.consume(async j => {
      handled.push(j.fileRef);
      return outcomes[j.fileRef];
    });
    await queue.enqueue([job(1), job(2)]);
    await waitFor(() => handled.length === 2);
    await waitFor(async () => (await queue.depth()).parked === 1);
    expect(queue.parkedJobs()).toEqual([job(1)]);
  });

  it('parks a job after maxAttempts retries', async () => {
    queue = new InProcessJobQueue({ maxAttempts: 3, retryDelaysMs: [1] });
    const attempts: number[] = [];
    await queue.consume(async j => {
      attempts.push(j.attempt);
      return 'retry';
    });
    await queue.enqueue([job(7)]);
    await waitFor(async () => (await queue.depth()).parked === 1);
    expect(attempts).toEqual([1, 2, 3]);
    expect(queue.parkedJobs()).toEqual([{ ...job(7), attempt: 3 }]);
  });

  it('waits retryDelaysMs[n - 1] before retry n, the last delay repeating', async () => {
    jest.useFakeTimers();
    try {
      queue = new InProcessJobQueue({
        maxAttempts: 5,
        retryDelaysMs: [1000, 10_000, 60_000],
      });
      const attempts: number[] = [];
      await queue.consume(async j => {
        attempts.push(j.attempt);
        return 'retry';
      });
      await queue.enqueue([job(1)]);
      await jest.advanceTimersByTimeAsync(0);
      expect(attempts).toEqual([1]);
      const schedule: Array<[number, number]> = [
        [1, 1000],
        [2, 10_000],
        [3, 60_000],
        [4, 60_000],
      ];
      for (const [n, delay] of schedule) {
        expect(queue.delayedJobs()).toEqual([
          { job: { ...job(1), attempt: n + 1 }, delayMs: delay },
        ]);
        // Not a millisecond early, and due right then.
        await jest.advanceTimersByTimeAsync(delay - 1);
        expect(attempts).toHaveLength(n);
        await jest.advanceTimersByTimeAsync(1);
        expect(attempts).toHaveLength(n + 1);
      }
      expect(attempts).toEqual([1, 2, 3, 4, 5]);
      expect(queue.parkedJobs()).toEqual([{ ...job(1), attempt: 5 }]);
    } finally {
      jest.useRealTimers();
    }
  });

  it("honours a handler's minimum delay (Retry-After) when it is longer than the schedule", async () => {
    queue = new InProcessJobQueue({ retryDelaysMs: [1000, 2000] });
    const outcomes: JobOutcome[] = [
      { retry: { minDelayMs: 45_000 } },
      // Shorter than the schedule's 2000: the schedule wins.
      { retry: { minDelayMs: 10 } },
    ];
    await queue.consume(async () => outcomes.shift() ?? 'done');
    await queue.enqueue([job(1)]);
    await waitFor(() => queue.delayedJobs().length === 1);
    expect(queue.delayedJobs()).toEqual([
      { job: { ...job(1), attempt: 2 }, delayMs: 45_000 },
    ]);
  });

  it('delivers a deferred job again with the same attempt, and never parks it for that', async () => {
    queue = new InProcessJobQueue({ maxAttempts: 1, retryDelaysMs: [60_000] });
    const seen: CollectJob[] = [];
    await queue.consume(async j => {
      seen.push(j);
      return seen.length < 4 ? { defer: { delayMs: 5 } } : 'done';
    });
    await queue.enqueue([job(3)]);
    await waitFor(() => seen.length === 4);
    await waitFor(async () => (await queue.depth()).inFlight === 0);
    expect(seen.map(j => [j.attempt, j.deferrals ?? 0])).toEqual([
      [1, 0],
      [1, 1],
      [1, 2],
      [1, 3],
    ]);
    expect(await queue.depth()).toMatchObject({ delayed: 0, parked: 0 });
  });

  it('treats a throwing handler as a retry', async () => {
    queue = new InProcessJobQueue({ retryDelaysMs: [1] });
    const attempts: number[] = [];
    await queue.consume(async j => {
      attempts.push(j.attempt);
      if (j.attempt === 1) throw new Error('boom');
      return 'done';
    });
    await queue.enqueue([job(1)]);
    await waitFor(() => attempts.length === 2);
    expect(attempts).toEqual([1, 2]);
  });

  it('drops jobs whose key is already queued or in flight', async () => {
    queue = new InProcessJobQueue({ concurrency: 1 });
    const hold = gate();
    const handled: number[] = [];
    await queue.consume(async j => {
      handled.push(j.fileRef);
      await hold.opened;
      return 'done';
    });
    await queue.enqueue([job(1), job(2), job(2)]);
    await waitFor(() => handled.length === 1);
    // job 1 is in flight and job 2 is ready: both are dropped.
    await queue.enqueue([job(1), job(2)]);
    expect(await queue.depth()).toMatchObject({ ready: 1, inFlight: 1 });
    hold.open();
    await waitFor(async () => (await queue.depth()).inFlight === 0);
    expect(handled).toEqual([1, 2]);
    // Once done, the same key can be queued again.
    await queue.enqueue([job(1)]);
    await waitFor(() => handled.length === 3);
    expect(handled).toEqual([1, 2, 1]);
  });

  it('takes a parked job back when it is enqueued again', async () => {
    queue = new InProcessJobQueue();
    let outcome: JobOutcome = 'park';
    const handled: number[] = [];
    await queue.consume(async j => {
      handled.push(j.fileRef);
      return outcome;
    });
    await queue.enqueue([job(1)]);
    await waitFor(async () => (await queue.depth()).parked === 1);
    outcome = 'done';
    await queue.enqueue([job(1)]);
    await waitFor(async () => (await queue.depth()).parked === 0);
    await waitFor(() => handled.length === 2);
    expect(queue.parkedJobs()).toEqual([]);
  });

  it('stop waits for the handlers in flight and takes no new jobs', async () => {
    queue = new InProcessJobQueue({ concurrency: 1 });
    const hold = gate();
    const finished: number[] = [];
    await queue.consume(async j => {
      await hold.opened;
      finished.push(j.fileRef);
      return 'done';
    });
    await queue.enqueue([job(1), job(2)]);
    await waitFor(async () => (await queue.depth()).inFlight === 1);
    const stopped = queue.stop();
    hold.open();
    await stopped;
    expect(finished).toEqual([1]);
    await expect(queue.enqueue([job(3)])).rejects.toThrow(/stopped/);
  });
});
