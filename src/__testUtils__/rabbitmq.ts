import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { connect } from 'amqplib';

/** The local broker every development machine and CI run has. */
export const RABBITMQ_URL = 'amqp://guest:guest@127.0.0.1:5672';

/** A queue name no other test uses. */
export function uniqueQueueName(prefix = 'backpack-test'): string {
  return `${prefix}.${randomUUID()}`;
}

/** Deletes the queues (missing ones included) over a connection of its own. */
export async function deleteQueues(names: string[]): Promise<void> {
  const model = await connect(RABBITMQ_URL);
  try {
    const channel = await model.createChannel();
    for (const name of names) {
      await channel.deleteQueue(name);
    }
    await channel.close();
  } finally {
    await model.close();
  }
}

/** Deletes a job queue's main, parking and retry queues. */
export async function deleteJobQueues(
  queue: string,
  retryDelaysMs: number[],
): Promise<void> {
  await deleteQueues([
    queue,
    `${queue}.parked`,
    ...[...new Set(retryDelaysMs)].map(ms => `${queue}.retry.${ms}`),
  ]);
}

/** rabbitmqctl is installed in sbin, which is not on every user's PATH. */
function rabbitmqctl(): string {
  const candidates = [
    '/usr/sbin/rabbitmqctl',
    '/usr/lib/rabbitmq/bin/rabbitmqctl',
  ];
  return candidates.find(path => existsSync(path)) ?? 'rabbitmqctl';
}

/**
 * Makes the broker drop every connection whose client-provided name is
 * `connectionName`, as a broker restart would. Only those: closing all
 * connections would break other test files running at the same time.
 *
 * @returns how many connections were closed
 */
export async function closeBrokerConnections(
  connectionName: string,
): Promise<number> {
  const run = promisify(execFile);
  const { stdout } = await run(rabbitmqctl(), [
    'list_connections',
    '--quiet',
    '--no-table-headers',
    'pid',
    'client_properties',
  ]);
  const pids = stdout
    .split('\n')
    .filter(line => line.includes(`{"connection_name","${connectionName}"}`))
    .map(line => line.split('\t')[0]);
  for (const pid of pids) {
    await run(rabbitmqctl(), ['close_connection', pid, 'test']);
  }
  return pids.length;
}
