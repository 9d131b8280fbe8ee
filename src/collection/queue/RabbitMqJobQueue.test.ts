import { randomUUID } from 'node:crypto';
import {
  RABBITMQ_URL,
  closeBrokerConnections,
  deleteJobQueues,
  uniqueQueueName,
} from '../../__testUtils__/rabbitmq';
import { sleep } from '../../__testUtils__/waitFor';
import { JobHandler } from './JobQueue';
import {
  ATTEMPT_HEADER,
  PARK_REASON_HEADER,
  RabbitMqJobQueue,
  RabbitMqJobQueueOptions,
} from './RabbitMqJobQueue';
import { drain, job, until } from './__testUtils__/queueJobs';

jest.setTimeout(30_000);

// What only the RabbitMQ driver does (its TTL queues, message properties,
// competing consumers, connection loss); the behaviour every driver shares
// is in jobQueues.test.ts.

describe('RabbitMqJobQueue', () => {
  const retryDelaysMs = [100, 200];
  let queueName: string;
  let queues: RabbitMqJobQueue[];

  async function open(options: Partial<RabbitMqJobQueueOptions> = {}) {
    const queue = await RabbitMqJobQueue.connect({
      url: RABBITMQ_URL,
      queue: queueName,
      retryDelaysMs,
      ...options,
    });
    queues.push(queue);
    return queue;
  }

  beforeEach(() => {
    queueName = uniqueQueueName();
    queues = [];
  });

  afterEach(async () => {
    await Promise.all(queues.map(q => q.stop()));
    await deleteJobQueues(queueName, retryDelaysMs);
  });

  it('puts retry n into the TTL queue of retryDelaysMs[n - 1]', async () => {
    const delays = [30, 60_000];
    const queue = await open({ retryDelaysMs: delays, maxAttempts: 5 });
    try {
      const attempts: number[] = [];
      await queue.consume(async j => {
        attempts.push(j.attempt);
        return 'retry';
      });
      await queue.enqueue([job(1)]);
      // Retry 1 waited 30 ms and came back; retry 2 waits in the 60 s queue.
      await until(async () => {
        const depth = await queue.depth();
        return attempts.length === 2 && depth.delayed === 1 && depth.inFlight === 0;
      });
      await queue.stop();
      expect(attempts).toEqual([1, 2]);
      expect(await drain(queue.retryQueueName(30))).toEqual([]);
      const [waiting] = await drain(queue.retryQueueName(60_000));
      expect(JSON.parse(waiting.content.toString())).toEqual({ ...job(1), attempt: 3 });
      expect(waiting.properties.headers).toMatchObject({ [ATTEMPT_HEADER]: 3 });
    } finally {
      await queue.stop();
      await deleteJobQueues(queueName, delays);
    }
  });

  it("waits in the smallest TTL queue that covers a handler's minimum delay (Retry-After)", async () => {
    const delays = [30, 5000, 60_000];
    const queue = await open({ retryDelaysMs: delays });
    try {
      await queue.consume(async () => ({ retry: { minDelayMs: 4000 } }));
      await queue.enqueue([job(1)]);
      await until(async () => {
        const depth = await queue.depth();
        return depth.delayed === 1 && depth.inFlight === 0;
      });
      await queue.stop();
      expect(await drain(queue.retryQueueName(30))).toEqual([]);
      const [waiting] = await drain(queue.retryQueueName(5000));
      expect(JSON.parse(waiting.content.toString())).toMatchObject({ attempt: 2 });
    } finally {
      await queue.stop();
      await deleteJobQueues(queueName, delays);
    }
  });

  it('holds a job back until a delay longer than every TTL queue has passed', async () => {
    const queue = await open();
    const handled: Array<{ attempt: number; at: number }> = [];
    await queue.consume(async j => {
      handled.push({ attempt: j.attempt, at: Date.now() });
      // Longer than the longest TTL queue (200 ms): it cycles through it.
      return j.attempt === 1 ? { retry: { minDelayMs: 700 } } : 'done';
    });
    await queue.enqueue([job(1)]);
    await until(() => handled.length === 2);
    await until(async () => (await queue.depth()).inFlight === 0);
    expect(handled.map(h => h.attempt)).toEqual([1, 2]);
    // A lower bound only: the job may not come back before its time.
    expect(handled[1].at - handled[0].at).toBeGreaterThanOrEqual(700);
    expect(await queue.depth()).toMatchObject({ delayed: 0, parked: 0 });
  });

  it('marks a job parked after maxAttempts with its key, attempt count and reason', async () => {
    const queue = await open({ maxAttempts: 2 });
    const attempts: number[] = [];
    await queue.consume(async j => {
      attempts.push(j.attempt);
      return 'retry';
    });
    await queue.enqueue([job(9)]);
    await until(async () => (await queue.depth()).parked === 1);
    expect(attempts).toEqual([1, 2]);

    const [parked] = await drain(queue.parkedQueueName);
    expect(JSON.parse(parked.content.toString())).toEqual({
      ...job(9),
      attempt: 2,
    });
    expect(parked.properties.messageId).toBe(job(9).key);
    expect(parked.properties.headers).toMatchObject({
      [ATTEMPT_HEADER]: 2,
      [PARK_REASON_HEADER]: 'max-attempts',
    });
  });

  it('marks a job its handler parked with the reason', async () => {
    const queue = await open();
    await queue.consume(async j => (j.fileRef === 1 ? 'park' : 'done'));
    await queue.enqueue([job(1), job(2)]);
    await until(async () => (await queue.depth()).parked === 1);
    const [parked] = await drain(queue.parkedQueueName);
    expect(JSON.parse(parked.content.toString()).fileRef).toBe(1);
    expect(parked.properties.headers).toMatchObject({
      [PARK_REASON_HEADER]: 'handler',
    });
  });

  it('shares the work among competing consumers without duplicates', async () => {
    const first = await open({ prefetch: 2 });
    const second = await open({ prefetch: 2 });
    const byConsumer: Record<string, number[]> = { first: [], second: [] };
    const handler =
      (name: string): JobHandler =>
      async j => {
        byConsumer[name].push(j.fileRef);
        await sleep(5);
        return 'done';
      };
    await first.consume(handler('first'));
    await second.consume(handler('second'));
    await first.enqueue(Array.from({ length: 40 }, (_, i) => job(i)));

    const total = () => byConsumer.first.length + byConsumer.second.length;
    await until(() => total() >= 40);
    await until(
      async () =>
        (await first.depth()).inFlight + (await second.depth()).inFlight ===
        0,
    );
    await sleep(100);
    const all = [...byConsumer.first, ...byConsumer.second];
    expect(all.sort((a, b) => a - b)).toEqual(
      Array.from({ length: 40 }, (_, i) => i),
    );
    expect(byConsumer.first.length).toBeGreaterThan(0);
    expect(byConsumer.second.length).toBeGreaterThan(0);
  });

  it('resumes consumption after the broker dropped its connection', async () => {
    const connectionName = `backpack-test-${randomUUID()}`;
    const queue = await open({ prefetch: 3, connectionName });
    let release!: () => void;
    const released = new Promise<void>(resolve => {
      release = resolve;
    });
    const completed = new Set<number>();
    let deliveries = 0;
    await queue.consume(async j => {
      deliveries += 1;
      // The first handlers finish only after the connection is gone.
      await released;
      completed.add(j.fileRef);
      return 'done';
    });
    await queue.enqueue(Array.from({ length: 40 }, (_, i) => job(i)));
    await until(() => deliveries === 3);

    expect(await closeBrokerConnections(connectionName)).toBe(1);
    release();

    await until(() => completed.size === 40);
    await until(async () => {
      const depth = await queue.depth();
      return depth.ready === 0 && depth.inFlight === 0;
    });
    // The three held jobs could not be acknowledged and came again.
    expect(deliveries).toBe(43);
    expect(queue.connected).toBe(true);
    // Once closed, nothing may be left unacknowledged in the queue.
    await queue.stop();
    expect(await drain(queueName)).toEqual([]);
  });

  it('publishes jobs enqueued during an outage once it reconnected', async () => {
    const connectionName = `backpack-test-${randomUUID()}`;
    const queue = await open({
      connectionName,
      reconnect: { initialDelayMs: 500, maxDelayMs: 1000 },
    });
    const seen: number[] = [];
    await queue.consume(async j => {
      seen.push(j.fileRef);
      return 'done';
    });

    expect(await closeBrokerConnections(connectionName)).toBe(1);
    await until(() => !queue.connected);
    const enqueued = queue.enqueue([job(1), job(2)]);
    await enqueued;
    expect(queue.connected).toBe(true);
    await until(() => seen.length >= 2);
    expect(seen.sort()).toEqual([1, 2]);
  });

  it('rejects enqueue calls waiting for a connection when stopped', async () => {
    const connectionName = `backpack-test-${randomUUID()}`;
    const queue = await open({
      connectionName,
      reconnect: { initialDelayMs: 10_000, maxDelayMs: 10_000 },
    });
    await closeBrokerConnections(connectionName);
    await until(() => !queue.connected);
    await expect(queue.depth()).rejects.toThrow(/not connected/);
    const enqueued = queue.enqueue([job(1)]);
    await queue.stop();
    await expect(enqueued).rejects.toThrow(/stopped/);
  });
});
