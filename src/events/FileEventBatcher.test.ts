import { BackpackFileOutcome } from './topics';
import { FileEventBatcher } from './FileEventBatcher';

type Flushed = { runId: string | undefined; outcome: BackpackFileOutcome; files: string[] };

function batcher(batchSize: number, flushAfterMs: number) {
  const flushed: Flushed[] = [];
  const b = new FileEventBatcher<string>({ batchSize, flushAfterMs }, (runId, outcome, files) =>
    flushed.push({ runId, outcome, files }),
  );
  return { b, flushed };
}

describe('FileEventBatcher', () => {
  afterEach(() => jest.useRealTimers());

  it('publishes a run batch once it holds batchSize files, split by outcome in order', () => {
    const { b, flushed } = batcher(3, 60_000);
    b.add('run-1', 'collected', 'a');
    b.add('run-1', 'parked', 'b');
    expect(flushed).toEqual([]);
    expect(b.size).toBe(2);
    b.add('run-1', 'collected', 'c');
    expect(flushed).toEqual([
      { runId: 'run-1', outcome: 'collected', files: ['a', 'c'] },
      { runId: 'run-1', outcome: 'parked', files: ['b'] },
    ]);
    expect(b.size).toBe(0);
  });

  it('batches runs apart, and files outside a run together', () => {
    const { b, flushed } = batcher(2, 60_000);
    b.add('run-1', 'collected', 'a');
    b.add('run-2', 'collected', 'b');
    b.add(undefined, 'failed', 'c');
    expect(flushed).toEqual([]);
    b.add(undefined, 'failed', 'd');
    expect(flushed).toEqual([{ runId: undefined, outcome: 'failed', files: ['c', 'd'] }]);
    b.add('run-2', 'collected', 'e');
    expect(flushed[1]).toEqual({ runId: 'run-2', outcome: 'collected', files: ['b', 'e'] });
    expect(b.size).toBe(1);
  });

  it('publishes a batch flushAfterMs after its first file, not later files', () => {
    jest.useFakeTimers();
    const { b, flushed } = batcher(100, 1000);
    b.add('run-1', 'collected', 'a');
    jest.advanceTimersByTime(600);
    b.add('run-1', 'collected', 'b');
    jest.advanceTimersByTime(399);
    expect(flushed).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(flushed).toEqual([{ runId: 'run-1', outcome: 'collected', files: ['a', 'b'] }]);
    // The next file starts a new batch with its own deadline.
    b.add('run-1', 'parked', 'c');
    jest.advanceTimersByTime(999);
    expect(flushed).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(flushed[1]).toEqual({ runId: 'run-1', outcome: 'parked', files: ['c'] });
  });

  it('publishes a run batch when the run finishes, and nothing twice', () => {
    jest.useFakeTimers();
    const { b, flushed } = batcher(100, 1000);
    b.add('run-1', 'collected', 'a');
    b.add('run-2', 'collected', 'b');
    b.flush('run-1');
    expect(flushed).toEqual([{ runId: 'run-1', outcome: 'collected', files: ['a'] }]);
    b.flush('run-1');
    jest.advanceTimersByTime(5000);
    expect(flushed).toEqual([
      { runId: 'run-1', outcome: 'collected', files: ['a'] },
      { runId: 'run-2', outcome: 'collected', files: ['b'] },
    ]);
  });

  it('publishes every batch at shutdown', () => {
    const { b, flushed } = batcher(100, 60_000);
    b.add('run-1', 'collected', 'a');
    b.add(undefined, 'parked', 'b');
    b.flushAll();
    expect(flushed).toEqual([
      { runId: 'run-1', outcome: 'collected', files: ['a'] },
      { runId: undefined, outcome: 'parked', files: ['b'] },
    ]);
    expect(b.size).toBe(0);
  });
});
