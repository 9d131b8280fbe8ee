import { union } from './configLists';

describe('union', () => {
  it("adds what the second list has to the first's, sorted", () => {
    expect(union(['b', 'a'], ['c', 'a'])).toEqual(['a', 'b', 'c']);
    expect(union(undefined, ['z', 'y'])).toEqual(['y', 'z']);
  });

  it("keeps the first list's order when the second adds nothing", () => {
    expect(union(['b', 'a'], ['a'])).toEqual(['b', 'a']);
    expect(union(['b', 'a'], undefined)).toEqual(['b', 'a']);
  });

  it('reads only the strings of a list, and nothing of another value', () => {
    expect(union(['a', 1, null], 'b')).toEqual(['a']);
    expect(union({ a: 'b' }, [true, 'c'])).toEqual(['c']);
  });
});
