import { tickBatch } from './tickBatch';

describe('tickBatch', () => {
  it('loads the keys asked for in one tick with one call, each key once', async () => {
    const calls: number[][] = [];
    const get = tickBatch(async (keys: number[]) => {
      calls.push([...keys]);
      return new Map(keys.map(k => [k, k * 10]));
    });
    const first = await Promise.all([get(1), get(2), get(1)]);
    expect(first).toEqual([10, 20, 10]);
    expect(calls).toEqual([[1, 2]]);
    // Known keys are not loaded again; new ones in a later burst are.
    expect(await Promise.all([get(2), get(3)])).toEqual([20, 30]);
    expect(calls).toEqual([[1, 2], [3]]);
  });

  it('gathers the keys asked in separate callbacks of one turn of the event loop', async () => {
    const calls: number[][] = [];
    const get = tickBatch(async (keys: number[]) => {
      calls.push([...keys]);
      return new Map(keys.map(k => [k, k]));
    });
    // Two callbacks of one turn, as two upstream answers arriving together
    // are handled: immediates queued together run in one check phase, and
    // the batch's own immediate, queued from the first, only in the next
    // turn (timers would not do: two set a millisecond apart may fall due
    // in different turns).
    const asked = await new Promise<Array<Promise<number | undefined>>>(resolve => {
      const promises: Array<Promise<number | undefined>> = [];
      setImmediate(() => promises.push(get(1)));
      setImmediate(() => {
        promises.push(get(2));
        resolve(promises);
      });
    });
    expect(await Promise.all(asked)).toEqual([1, 2]);
    expect(calls).toEqual([[1, 2]]);
  });

  it('answers undefined for a key the load did not return', async () => {
    const get = tickBatch(async (_keys: string[]) => new Map([['a', 1]]));
    expect(await Promise.all([get('a'), get('b')])).toEqual([1, undefined]);
  });

  it('rejects the callers of a failed load and loads those keys again later', async () => {
    let fail = true;
    const get = tickBatch(async (keys: string[]) => {
      if (fail) throw new Error('down');
      return new Map(keys.map(k => [k, k.length]));
    });
    await expect(get('abc')).rejects.toThrow('down');
    fail = false;
    expect(await get('abc')).toBe(3);
  });
});
