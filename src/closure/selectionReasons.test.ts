import { SelectionReason } from '../types';
import { reasonOrder, sortedReasons } from './selectionReasons';

describe('sortedReasons', () => {
  const required = (id: string, version: string, range: string): SelectionReason => ({
    type: 'required-by',
    processor: 'npm',
    id,
    version,
    range,
  });

  it("lists reasons in reasonOrder: a root's own reasons first, then parents, each by key", () => {
    const reasons: SelectionReason[] = [
      required('b', '1.0.0', '^1'),
      required('a', '2.0.0', '^1'),
      { type: 'filter', filter: '1.x' },
      required('a', '1.0.0', '~1.2'),
      { type: 'all-versions' },
      required('a', '1.0.0', '^1'),
    ];
    const sorted = sortedReasons(reasons);
    expect(sorted).toEqual([...reasons].sort(reasonOrder));
    expect(sorted.map(r => (r.type === 'required-by' ? `${r.id}@${r.version} ${r.range}` : r.type))).toEqual([
      'all-versions',
      'filter',
      'a@1.0.0 ^1',
      'a@1.0.0 ~1.2',
      'a@2.0.0 ^1',
      'b@1.0.0 ^1',
    ]);
  });

  it('copies what it is given', () => {
    const one: SelectionReason[] = [{ type: 'filter', filter: '*' }];
    expect(sortedReasons(one)).not.toBe(one);
    expect(sortedReasons(new Map([['k', one[0]]]).values())).toEqual(one);
  });
});
