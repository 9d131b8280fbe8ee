import { mergeCargoConfig } from './mergeCargoConfig';

describe('mergeCargoConfig', () => {
  it('unifies features as Cargo does and only ever widens', () => {
    expect(mergeCargoConfig({ features: ['a'] }, { features: ['c', 'b'] })).toEqual({ features: ['a', 'b', 'c'] });
    expect(mergeCargoConfig({ defaultFeatures: false }, { defaultFeatures: false })).toEqual({ defaultFeatures: false });
    expect(mergeCargoConfig({ defaultFeatures: false }, {})).toEqual({});
    expect(mergeCargoConfig({ targets: ['t1'] }, { targets: ['t2'] })).toEqual({ targets: ['t1', 't2'] });
    expect(mergeCargoConfig({ targets: ['t1'] }, {})).toEqual({});
    expect(mergeCargoConfig({ yanked: ['1.0.0'] }, { yanked: ['1.0.1'], includeDev: true })).toEqual({
      yanked: ['1.0.0', '1.0.1'],
      includeDev: true,
    });
  });

  it('is commutative and idempotent', () => {
    const a = { features: ['x'], targets: ['t'], defaultFeatures: false };
    const b = { features: ['y'], yanked: ['1.0.0'] };
    expect(mergeCargoConfig(a, b)).toEqual(mergeCargoConfig(b, a));
    const merged = mergeCargoConfig(a, b);
    expect(mergeCargoConfig(merged, b)).toEqual(merged);
  });

  it("keeps the first config's index", () => {
    expect(mergeCargoConfig({ index: 'https://a' }, { index: 'https://b' }).index).toBe('https://a');
  });
});
