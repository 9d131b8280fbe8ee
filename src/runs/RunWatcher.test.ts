import { mockServices } from '@backstage/backend-test-utils';
import { RunWatcher } from './RunWatcher';

/** A run store that counts the calls the watcher makes. */
function countingRuns(outstanding: Set<string>) {
  const calls = { takeOver: 0, probes: 0, heartbeats: [] as string[], finished: [] as string[] };
  const runs = {
    takeOverCollectingRuns: async () => {
      calls.takeOver += 1;
      return [];
    },
    runsWithOutstandingFiles: async (ids: string[]) => {
      calls.probes += 1;
      return new Set(ids.filter(id => outstanding.has(id)));
    },
    heartbeatRun: async (id: string) => {
      calls.heartbeats.push(id);
    },
    getRun: async (id: string) => ({ id, status: 'collecting', counters: { artifactsFailed: 0 } }),
    countParkedFiles: async () => 0,
    finishRun: async (id: string) => {
      calls.finished.push(id);
      return true;
    },
    releaseCollectingRuns: async () => 0,
  };
  return { calls, runs };
}

describe('RunWatcher', () => {
  it('probes watched runs on every check but heartbeats them and looks for abandoned runs once an interval', async () => {
    const outstanding = new Set(['run-1']);
    const { calls, runs } = countingRuns(outstanding);
    const watcher = new RunWatcher({
      stores: { runs: runs as any },
      logger: mockServices.logger.mock(),
      workerId: 'worker-a',
      intervalMs: 60_000,
    });
    watcher.watch('run-1');
    // Checks as nudges make them while the run's files settle.
    for (let i = 0; i < 5; i++) await watcher.check();
    expect(calls.probes).toBe(5);
    expect(calls.heartbeats).toEqual(['run-1']);
    expect(calls.takeOver).toBe(1);

    // Settled once nothing is outstanding.
    outstanding.clear();
    await watcher.check();
    expect(calls.finished).toEqual(['run-1']);
  });

  it('heartbeats on every check when checks are an interval apart', async () => {
    const { calls, runs } = countingRuns(new Set(['run-1']));
    const watcher = new RunWatcher({
      stores: { runs: runs as any },
      logger: mockServices.logger.mock(),
      workerId: 'worker-a',
      intervalMs: 0,
    });
    watcher.watch('run-1');
    for (let i = 0; i < 3; i++) await watcher.check();
    expect(calls.heartbeats).toEqual(['run-1', 'run-1', 'run-1']);
    expect(calls.takeOver).toBe(3);
  });

  it('heartbeats at a periodic check even when its timer fires a little early', async () => {
    const { calls, runs } = countingRuns(new Set(['run-1']));
    const watcher = new RunWatcher({
      stores: { runs: runs as any },
      logger: mockServices.logger.mock(),
      workerId: 'worker-a',
      intervalMs: 5000,
    });
    let now = 1_000_000;
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => now);
    try {
      watcher.watch('run-1');
      await watcher.check();
      now += 4990;
      await watcher.check();
      expect(calls.heartbeats).toEqual(['run-1', 'run-1']);
      expect(calls.takeOver).toBe(2);
    } finally {
      clock.mockRestore();
    }
  });
});
