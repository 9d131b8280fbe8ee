import { GroupCommit } from './GroupCommit';

/** A write that completes when the test says so. */
function controlledWriter() {
  const batches: number[][] = [];
  const finish: Array<(error?: Error) => void> = [];
  const write = (items: number[]) =>
    new Promise<void>((resolve, reject) => {
      batches.push(items);
      finish.push(error => (error ? reject(error) : resolve()));
    });
  return { batches, finish, write };
}

const settled = () => new Promise(resolve => setImmediate(resolve));

describe('GroupCommit', () => {
  it('writes the first item at once and gathers the items that come during a write into one', async () => {
    const { batches, finish, write } = controlledWriter();
    const commits = new GroupCommit<number>(write);
    const done: number[] = [];
    const track = (n: number) => commits.add(n).then(() => done.push(n));

    const first = track(1);
    await settled();
    expect(batches).toEqual([[1]]);
    const rest = [track(2), track(3), track(4)];
    await settled();
    // Nothing resolves before its own write is done.
    expect(done).toEqual([]);
    finish[0]();
    await first;
    await settled();
    expect(batches).toEqual([[1], [2, 3, 4]]);
    expect(done).toEqual([1]);
    finish[1]();
    await Promise.all(rest);
    expect(done).toEqual([1, 2, 3, 4]);
  });

  it('keeps batches within their bound', async () => {
    const { batches, finish, write } = controlledWriter();
    const commits = new GroupCommit<number>(write, 2);
    const all = [1, 2, 3, 4, 5].map(n => commits.add(n));
    await settled();
    finish[0]();
    await settled();
    finish[1]();
    await settled();
    finish[2]();
    await Promise.all(all);
    expect(batches).toEqual([[1], [2, 3], [4, 5]]);
  });

  it('fails only the item whose write fails, writing a failed batch again one by one', async () => {
    const written: number[] = [];
    const commits = new GroupCommit<number>(async items => {
      if (items.includes(3)) throw new Error('item 3 is refused');
      written.push(...items);
    });
    const outcomes = await Promise.allSettled([1, 2, 3, 4].map(n => commits.add(n)));
    expect(outcomes.map(o => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[2] as PromiseRejectedResult).reason.message).toBe('item 3 is refused');
    expect(written.sort()).toEqual([1, 2, 4]);
    // Writing goes on after a failure.
    await commits.add(5);
    expect(written).toContain(5);
  });
});
