import { packumentPath } from '../../src/processors/npm/packument';
import { DEFAULT_DISCOVERY_CONCURRENCY } from '../../src/runs/discoveryConcurrency';
import { DEFAULT_MAX_CONCURRENCY_PER_HOST } from '../../src/upstream/UpstreamClient';

// The least time an npm registry needs to answer a no-op run's conditional
// requests: the bound of a no-op run, measured alone in the same run.

/**
 * Conditional requests a no-op run has in flight against one registry, the
 * bench leaving both limits at their defaults: the walk discovers
 * `backpack.upstream.discoveryConcurrency` artifacts at once, each host held
 * to `backpack.upstream.maxConcurrencyPerHost`.
 */
export const NOOP_REQUESTS_IN_FLIGHT = Math.min(DEFAULT_DISCOVERY_CONCURRENCY, DEFAULT_MAX_CONCURRENCY_PER_HOST);

const ACCEPT = 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*';

/**
 * Seconds the registry takes to answer `If-None-Match` requests for every
 * package, `concurrency` at a time with no dependency order, as a no-op
 * run sends them (after one untimed request per package for its ETag).
 * Returns the median of three passes and how many answers were 304.
 */
export async function conditionalRequestFloor(
  registry: string,
  packages: string[],
  concurrency: number,
): Promise<{ seconds: number[]; notModified: number }> {
  const url = (name: string) => `${registry.replace(/\/$/, '')}/${packumentPath(name)}`;
  const etags = new Map<string, string>();
  await pool(packages, concurrency, async name => {
    const response = await fetch(url(name), { headers: { accept: ACCEPT } });
    await response.arrayBuffer();
    const etag = response.headers.get('etag');
    if (etag) etags.set(name, etag);
  });
  const conditional = async (name: string) => {
    const response = await fetch(url(name), {
      headers: { accept: ACCEPT, 'if-none-match': etags.get(name) ?? '', 'cache-control': 'max-age=0' },
    });
    await response.arrayBuffer();
    return response.status === 304;
  };
  const seconds: number[] = [];
  const answers: boolean[] = [];
  for (let pass = 0; pass < 3; pass++) {
    answers.length = 0;
    const t0 = process.hrtime.bigint();
    await pool(packages, concurrency, async name => {
      answers.push(await conditional(name));
    });
    seconds.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return { seconds, notModified: answers.filter(Boolean).length };
}

async function pool<T>(items: T[], concurrency: number, task: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await task(item);
    }),
  );
}
