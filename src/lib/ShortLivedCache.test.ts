import { ShortLivedCache } from './ShortLivedCache';

describe('ShortLivedCache', () => {
  it('computes once per key while fresh, shares a pending answer and recomputes after the ttl', async () => {
    let now = 1_000;
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => now);
    try {
      const cache = new ShortLivedCache<number>(5_000);
      let calls = 0;
      const compute = () => Promise.resolve(++calls);
      const [a, b] = await Promise.all([cache.get('k', compute), cache.get('k', compute)]);
      expect([a, b, calls]).toEqual([1, 1, 1]);
      expect(await cache.get('other', compute)).toBe(2);
      now += 4_999;
      expect(await cache.get('k', compute)).toBe(1);
      now += 2;
      expect(await cache.get('k', compute)).toBe(3);
    } finally {
      clock.mockRestore();
    }
  });

  it('keeps no failure, computes every time with a ttl of 0, and stays within its size', async () => {
    const cache = new ShortLivedCache<number>(60_000, 2);
    await expect(cache.get('k', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await cache.get('k', async () => 7)).toBe(7);
    await cache.get('a', async () => 1);
    await cache.get('b', async () => 2);
    expect(await cache.get('k', async () => 8)).toBe(8);

    const uncached = new ShortLivedCache<number>(0);
    let calls = 0;
    await uncached.get('k', async () => ++calls);
    await uncached.get('k', async () => ++calls);
    expect(calls).toBe(2);
  });
});
