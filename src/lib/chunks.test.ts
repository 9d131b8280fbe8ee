import { chunks } from './chunks';

describe('chunks', () => {
  it('splits into consecutive slices of at most the size, keeping order', () => {
    expect(chunks([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunks([1, 2, 3, 4], 2)).toEqual([[1, 2], [3, 4]]);
    expect(chunks([], 3)).toEqual([]);
  });

  it('refuses a size that would never advance', () => {
    expect(() => chunks([1], 0)).toThrow(RangeError);
    expect(() => chunks([1], Number.NaN)).toThrow(RangeError);
  });
});
