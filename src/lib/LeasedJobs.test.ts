import { mockServices } from '@backstage/backend-test-utils';
import { LeasedJobs } from './LeasedJobs';

/** A promise and the functions that settle it. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('LeasedJobs', () => {
  function create(overrides: { heartbeat?: (id: string) => Promise<void>; fail?: (id: string, error: Error) => Promise<void> } = {}) {
    const logger = mockServices.logger.mock();
    const beats: string[] = [];
    const failures: Array<[string, string]> = [];
    const jobs = new LeasedJobs({
      name: 'Job',
      logger,
      heartbeatMs: 5,
      heartbeat: overrides.heartbeat ?? (async id => void beats.push(id)),
      fail: overrides.fail ?? (async (id, error) => void failures.push([id, error.message])),
    });
    return { jobs, logger, beats, failures };
  }

  it('heartbeats a job from launch until its work settles', async () => {
    const beats: string[] = [];
    const waiters: Array<{ id: string; count: number; done: () => void }> = [];
    const beaten = (id: string, count: number) =>
      new Promise<void>(done => waiters.push({ id, count, done }));
    const { jobs } = create({
      heartbeat: async id => {
        beats.push(id);
        for (const w of waiters) if (w.id === id && beats.filter(b => b === id).length >= w.count) w.done();
      },
    });
    // Each job's work ends once its row heartbeated twice.
    await jobs.launch('a', () => beaten('a', 2));
    const ofA = beats.filter(id => id === 'a').length;
    expect(ofA).toBeGreaterThanOrEqual(2);
    // While another job heartbeats three times, the settled one does not any more.
    await jobs.launch('b', () => beaten('b', 3));
    expect(beats.filter(id => id === 'a')).toHaveLength(ofA);
  });

  it('records a failure on the row and logs it; the launch never rejects', async () => {
    const { jobs, logger, failures } = create();
    await expect(jobs.launch('x', async () => Promise.reject(new Error('boom')))).resolves.toBeUndefined();
    expect(failures).toEqual([['x', 'boom']]);
    expect(logger.error).toHaveBeenCalledWith(expect.stringContaining('Job x failed: Error: boom'));
  });

  it('logs a failure it could not record, and still does not reject', async () => {
    const { jobs, logger } = create({ fail: () => Promise.reject(new Error('database gone')) });
    await expect(jobs.launch('y', () => Promise.reject('not an Error'))).resolves.toBeUndefined();
    expect(logger.error).toHaveBeenCalledWith(
      expect.stringContaining('Could not record the failure of Job y: Error: database gone'),
    );
  });

  it('runs one job once at a time here, and waits for everything launched on drain', async () => {
    const { jobs } = create();
    const release = deferred();
    let runs = 0;
    const work = async () => {
      runs += 1;
      await release.promise;
    };
    const first = jobs.launch('same', work);
    expect(jobs.launch('same', work)).toBe(first);
    let drained = false;
    const draining = jobs.drain().then(() => {
      drained = true;
    });
    await Promise.resolve();
    expect(drained).toBe(false);
    release.resolve();
    await draining;
    expect(drained).toBe(true);
    expect(runs).toBe(1);
  });

  it('aborts the work on stop, waits for it, and launches nothing afterwards', async () => {
    const { jobs, failures } = create();
    const started = deferred();
    const outside = new AbortController();
    let aborted: unknown;
    const running = jobs.launch(
      'long',
      signal =>
        new Promise<void>((_, reject) => {
          started.resolve();
          signal.addEventListener('abort', () => {
            aborted = signal.reason;
            reject(new Error('aborted'));
          });
        }),
      outside.signal,
    );
    await started.promise;
    await jobs.stop();
    await running;
    expect(aborted).toBeDefined();
    expect(failures).toEqual([['long', 'aborted']]);
    expect(jobs.stopped).toBe(true);
    let ran = false;
    await jobs.launch('late', async () => {
      ran = true;
    });
    expect(ran).toBe(false);
  });

  it('aborts the work when the caller’s signal aborts', async () => {
    const { jobs } = create();
    const outside = new AbortController();
    const started = deferred();
    let seen: AbortSignal | undefined;
    const running = jobs.launch(
      'scheduled',
      async signal => {
        seen = signal;
        started.resolve();
        await new Promise(resolve => signal.addEventListener('abort', resolve));
      },
      outside.signal,
    );
    await started.promise;
    outside.abort();
    await running;
    expect(seen?.aborted).toBe(true);
    expect(jobs.stopped).toBe(false);
  });
});
