import { connect } from 'amqplib';
import { RABBITMQ_URL } from '../../../__testUtils__/rabbitmq';
import { waitFor } from '../../../__testUtils__/waitFor';
import { CollectJob } from '../JobQueue';

// What the job queue suites share: jobs, waiting on a condition of a
// queue, and reading what a RabbitMQ queue holds.

/** The n-th test job. */
export const job = (n: number): CollectJob => ({
  fileRef: n,
  key: `npm/pkg/-/pkg-${n}.tgz`,
  runId: 'run-1',
  attempt: 1,
});

/**
 * Waits until `predicate` holds; bounded by attempts. An error counts as
 * "not yet": RabbitMQ's depth() throws while it reconnects.
 */
export function until(predicate: () => boolean | Promise<boolean>): Promise<true> {
  return waitFor(
    'the queue to reach the condition',
    () => Promise.resolve().then(predicate).catch(() => false),
    { attempts: 1000, intervalMs: 10 },
  );
}

/** A promise with its resolve function, to hold handlers open. */
export function gate() {
  let open!: () => void;
  const opened = new Promise<void>(resolve => {
    open = resolve;
  });
  return { open, opened };
}

/** Reads the messages left in a RabbitMQ queue, acknowledging them. */
export async function drain(name: string) {
  const model = await connect(RABBITMQ_URL);
  try {
    const channel = await model.createChannel();
    const messages = [];
    for (;;) {
      const message = await channel.get(name, { noAck: true });
      if (!message) break;
      messages.push(message);
    }
    return messages;
  } finally {
    await model.close();
  }
}
