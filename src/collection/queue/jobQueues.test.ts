import { deleteJobQueues, RABBITMQ_URL, uniqueQueueName } from '../../__testUtils__/rabbitmq';
import { sleep } from '../../__testUtils__/waitFor';
import { InProcessJobQueue } from './InProcessJobQueue';
import { CollectJob, JobOutcome, JobQueue } from './JobQueue';
import { RabbitMqJobQueue } from './RabbitMqJobQueue';
import { drain, gate, job, until } from './__testUtils__/queueJobs';

jest.setTimeout(30_000);

// The behaviour every JobQueue driver must show, run against each of them;
// what only one driver does is in InProcessJobQueue.test.ts and
// RabbitMqJobQueue.test.ts.

/** Settings a test asks of a driver. */
interface QueueSettings {
  /** Handlers at once (RabbitMQ: the prefetch). */
  concurrency?: number;
  maxAttempts?: number;
  retryDelaysMs?: number[];
}

/** Opens queues of one driver, reads the jobs it parked, and cleans up. */
interface QueueFixture {
  open(settings?: QueueSettings): Promise<JobQueue>;
  parked(queue: JobQueue): Promise<CollectJob[]>;
  close(): Promise<void>;
}

const inProcess = (): QueueFixture => {
  const queues: InProcessJobQueue[] = [];
  return {
    async open(settings = {}) {
      const queue = new InProcessJobQueue(settings);
      queues.push(queue);
      return queue;
    },
    async parked(queue) {
      return (queue as InProcessJobQueue).parkedJobs();
    },
    async close() {
      await Promise.all(queues.map(q => q.stop()));
    },
  };
};

const rabbitMq = (): QueueFixture => {
  const queueName = uniqueQueueName();
  const queues: RabbitMqJobQueue[] = [];
  const delays = new Set<number>();
  return {
    async open(settings = {}) {
      const retryDelaysMs = settings.retryDelaysMs ?? [100, 200];
      retryDelaysMs.forEach(ms => delays.add(ms));
      const queue = await RabbitMqJobQueue.connect({
        url: RABBITMQ_URL,
        queue: queueName,
        prefetch: settings.concurrency,
        maxAttempts: settings.maxAttempts,
        retryDelaysMs,
      });
      queues.push(queue);
      return queue;
    },
    async parked(queue) {
      const messages = await drain((queue as RabbitMqJobQueue).parkedQueueName);
      return messages.map(message => JSON.parse(message.content.toString()));
    },
    async close() {
      await Promise.all(queues.map(q => q.stop()));
      await deleteJobQueues(queueName, [...delays]);
    },
  };
};

describe.each([
  ['InProcessJobQueue', inProcess],
  ['RabbitMqJobQueue', rabbitMq],
])('%s', (_name, createFixture) => {
  let fixture: QueueFixture;

  beforeEach(() => {
    fixture = createFixture();
  });

  afterEach(async () => {
    await fixture.close();
  });

  it('delivers every enqueued job exactly once, never more at once than its concurrency', async () => {
    const queue = await fixture.open({ concurrency: 4 });
    const jobs = Array.from({ length: 50 }, (_, i) => job(i));
    await queue.enqueue(jobs);
    expect((await queue.depth()).ready).toBe(50);

    const seen: CollectJob[] = [];
    let running = 0;
    let maxRunning = 0;
    await queue.consume(async j => {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      await new Promise(resolve => setImmediate(resolve));
      seen.push(j);
      running -= 1;
      return 'done';
    });
    await until(() => seen.length >= 50);
    await until(async () => (await queue.depth()).inFlight === 0);
    // Give a stray duplicate a chance to show up before counting.
    await sleep(100);
    expect(seen.sort((a, b) => a.fileRef - b.fileRef)).toEqual(jobs);
    expect(maxRunning).toBeLessThanOrEqual(4);
    expect(await queue.depth()).toEqual({
      ready: 0,
      inFlight: 0,
      delayed: 0,
      parked: 0,
    });
  });

  it('retries with an increasing attempt until the handler is done', async () => {
    const queue = await fixture.open({ retryDelaysMs: [5] });
    const attempts: number[] = [];
    await queue.consume(async j => {
      attempts.push(j.attempt);
      return j.attempt < 3 ? 'retry' : 'done';
    });
    await queue.enqueue([job(1)]);
    await until(() => attempts.length === 3);
    await until(async () => (await queue.depth()).inFlight === 0);
    expect(attempts).toEqual([1, 2, 3]);
    expect(await queue.depth()).toMatchObject({ delayed: 0, parked: 0 });
  });

  it('keeps a retrying job as delayed until its backoff passed', async () => {
    const queue = await fixture.open({ retryDelaysMs: [60_000] });
    await queue.consume(async () => 'retry');
    await queue.enqueue([job(1)]);
    // RabbitMQ: the handler stays in flight until the broker confirmed the copy.
    await until(async () => {
      const depth = await queue.depth();
      return depth.delayed === 1 && depth.inFlight === 0;
    });
    expect(await queue.depth()).toEqual({
      ready: 0,
      inFlight: 0,
      delayed: 1,
      parked: 0,
    });
  });

  it('parks a job whose handler says park', async () => {
    const queue = await fixture.open();
    const outcomes: Record<number, JobOutcome> = { 1: 'park', 2: 'done' };
    const handled: number[] = [];
    await queue.consume(async j => {
      handled.push(j.fileRef);
      return outcomes[j.fileRef];
    });
    await queue.enqueue([job(1), job(2)]);
    await until(() => handled.length === 2);
    await until(async () => (await queue.depth()).parked === 1);
    expect(await fixture.parked(queue)).toEqual([job(1)]);
  });

  it('parks a job after maxAttempts retries, with its attempt count', async () => {
    const queue = await fixture.open({ maxAttempts: 3, retryDelaysMs: [1] });
    const attempts: number[] = [];
    await queue.consume(async j => {
      attempts.push(j.attempt);
      return 'retry';
    });
    await queue.enqueue([job(7)]);
    await until(async () => (await queue.depth()).parked === 1);
    expect(attempts).toEqual([1, 2, 3]);
    expect(await fixture.parked(queue)).toEqual([{ ...job(7), attempt: 3 }]);
  });

  it('delivers a deferred job again with the same attempt, and never parks it for that', async () => {
    const queue = await fixture.open({ maxAttempts: 1, retryDelaysMs: [100, 200] });
    const seen: CollectJob[] = [];
    await queue.consume(async j => {
      seen.push(j);
      return seen.length < 4 ? { defer: { delayMs: 50 } } : 'done';
    });
    await queue.enqueue([job(3)]);
    await until(() => seen.length === 4);
    await until(async () => (await queue.depth()).inFlight === 0);
    expect(seen.map(j => [j.attempt, j.deferrals ?? 0])).toEqual([
      [1, 0],
      [1, 1],
      [1, 2],
      [1, 3],
    ]);
    expect(await queue.depth()).toMatchObject({ delayed: 0, parked: 0 });
  });

  it('treats a throwing handler as a retry', async () => {
    const queue = await fixture.open({ retryDelaysMs: [1] });
    const attempts: number[] = [];
    await queue.consume(async j => {
      attempts.push(j.attempt);
      if (j.attempt === 1) throw new Error('boom');
      return 'done';
    });
    await queue.enqueue([job(1)]);
    await until(() => attempts.length === 2);
    expect(attempts).toEqual([1, 2]);
  });

  it('stop waits for the handlers in flight and takes no new jobs', async () => {
    const queue = await fixture.open({ concurrency: 1 });
    const hold = gate();
    const finished: number[] = [];
    await queue.consume(async j => {
      await hold.opened;
      finished.push(j.fileRef);
      return 'done';
    });
    await queue.enqueue([job(1), job(2)]);
    await until(async () => (await queue.depth()).inFlight === 1);
    const stopped = queue.stop();
    hold.open();
    await stopped;
    expect(finished).toEqual([1]);
    await expect(queue.enqueue([job(3)])).rejects.toThrow(/stopped/);
  });
});
