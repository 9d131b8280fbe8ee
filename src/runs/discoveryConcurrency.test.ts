import { ConfigReader } from '@backstage/config';
import { DEFAULT_DISCOVERY_CONCURRENCY, discoveryConcurrency } from './discoveryConcurrency';

describe('discoveryConcurrency', () => {
  it('reads backpack.upstream.discoveryConcurrency, with a default', () => {
    expect(discoveryConcurrency(new ConfigReader({}))).toBe(DEFAULT_DISCOVERY_CONCURRENCY);
    expect(discoveryConcurrency(new ConfigReader({ backpack: { upstream: { discoveryConcurrency: 32 } } }))).toBe(32);
  });

  it('refuses a value that is not a positive integer', () => {
    for (const bad of [0, -1, 2.5]) {
      expect(() =>
        discoveryConcurrency(new ConfigReader({ backpack: { upstream: { discoveryConcurrency: bad } } })),
      ).toThrow('backpack.upstream.discoveryConcurrency must be a positive integer');
    }
  });
});
