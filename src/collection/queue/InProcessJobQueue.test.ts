import { InProcessJobQueue } from './InProcessJobQueue';
import { JobOutcome } from './JobQueue';
import { gate, job, until } from './__testUtils__/queueJobs';

// What only the in-process driver does; the behaviour every driver shares
// is in jobQueues.test.ts.

describe('InProcessJobQueue', () => {
  let queue: InProcessJobQueue;

  afterEach(async () => {
    await queue.stop();
  });

  // Every job once, never more at once than the concurrency: the contract
  // in jobQueues.test.ts. Here: the concurrency is used to the full.
  it('runs as many handlers at once as its concurrency', async () => {
    queue = new InProcessJobQueue({ concurrency: 3 });
    const hold = gate();
    let running = 0;
    await queue.consume(async () => {
      running += 1;
      await hold.opened;
      running -= 1;
      return 'done';
    });
    await queue.enqueue(Array.from({ length: 20 }, (_, i) => job(i)));
    await until(() => running === 3);
    expect(await queue.depth()).toMatchObject({ ready: 17, inFlight: 3 });
    hold.open();
    await until(async () => (await queue.depth()).inFlight === 0);
    expect(running).toBe(0);
    expect(await queue.depth()).toEqual({ ready: 0, inFlight: 0, delayed: 0, parked: 0 });
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
    await until(() => queue.delayedJobs().length === 1);
    expect(queue.delayedJobs()).toEqual([
      { job: { ...job(1), attempt: 2 }, delayMs: 45_000 },
    ]);
  });

  // Redelivery with the same attempt, never parked: the contract in
  // jobQueues.test.ts. Here: the deferral waits exactly as long as asked
  // (RabbitMQ rounds up to a TTL queue).
  it('defers by the delay the handler asks for, not by the retry schedule', async () => {
    queue = new InProcessJobQueue({ maxAttempts: 1, retryDelaysMs: [60_000] });
    await queue.consume(async () => ({ defer: { delayMs: 5_000 } }));
    await queue.enqueue([job(3)]);
    await until(() => queue.delayedJobs().length === 1);
    expect(queue.delayedJobs()).toEqual([{ job: { ...job(3), deferrals: 1 }, delayMs: 5_000 }]);
    expect(await queue.depth()).toMatchObject({ delayed: 1, parked: 0 });
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
    await until(() => handled.length === 1);
    // job 1 is in flight and job 2 is ready: both are dropped.
    await queue.enqueue([job(1), job(2)]);
    expect(await queue.depth()).toMatchObject({ ready: 1, inFlight: 1 });
    hold.open();
    await until(async () => (await queue.depth()).inFlight === 0);
    expect(handled).toEqual([1, 2]);
    // Once done, the same key can be queued again.
    await queue.enqueue([job(1)]);
    await until(() => handled.length === 3);
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
    await until(async () => (await queue.depth()).parked === 1);
    outcome = 'done';
    await queue.enqueue([job(1)]);
    await until(async () => (await queue.depth()).parked === 0);
    await until(() => handled.length === 2);
    expect(queue.parkedJobs()).toEqual([]);
  });
});
