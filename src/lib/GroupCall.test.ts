import { GroupCall } from './GroupCall';

/** A call that answers each item with its double, when the test says so. */
function controlledCall() {
  const batches: number[][] = [];
  const finish: Array<(error?: Error) => void> = [];
  const call = (items: number[]) =>
    new Promise<number[]>((resolve, reject) => {
      batches.push(items);
      finish.push(error => (error ? reject(error) : resolve(items.map(n => n * 2))));
    });
  return { batches, finish, call };
}

const settled = () => new Promise(resolve => setImmediate(resolve));

describe('GroupCall', () => {
  it('calls the items of one tick together, gathers those that come during a call, and answers each its own', async () => {
    const { batches, finish, call } = controlledCall();
    const group = new GroupCall<number, number>(call);
    const first = [group.add(1), group.add(2)];
    await settled();
    expect(batches).toEqual([[1, 2]]);
    const rest = [group.add(3), group.add(4)];
    await settled();
    // Nothing more is called while a call is in flight.
    expect(batches).toEqual([[1, 2]]);
    finish[0]();
    expect(await Promise.all(first)).toEqual([2, 4]);
    await settled();
    expect(batches).toEqual([[1, 2], [3, 4]]);
    finish[1]();
    expect(await Promise.all(rest)).toEqual([6, 8]);
    // Idle again: the next item is called at once, alone.
    const last = group.add(5);
    await settled();
    expect(batches[2]).toEqual([5]);
    finish[2]();
    expect(await last).toBe(10);
  });

  it('keeps batches within their bound', async () => {
    const { batches, finish, call } = controlledCall();
    const group = new GroupCall<number, number>(call, 2);
    const all = [1, 2, 3, 4, 5].map(n => group.add(n));
    for (let i = 0; i < 3; i++) {
      await settled();
      finish[i]();
    }
    expect(await Promise.all(all)).toEqual([2, 4, 6, 8, 10]);
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('fails only the item whose call fails, calling a failed batch again one by one', async () => {
    const calls: number[][] = [];
    const group = new GroupCall<number, string>(async items => {
      calls.push(items);
      if (items.includes(3)) throw new Error('item 3 is refused');
      return items.map(n => `ok ${n}`);
    });
    const results = await Promise.allSettled([1, 2, 3, 4].map(n => group.add(n)));
    expect(results.map(r => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([
      'ok 1',
      'ok 2',
      'item 3 is refused',
      'ok 4',
    ]);
    expect(calls).toEqual([[1, 2, 3, 4], [1], [2], [3], [4]]);
  });
});
