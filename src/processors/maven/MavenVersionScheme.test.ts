import { canonicalMavenVersion, compareMavenVersions } from './ComparableVersion';
import { mavenVersionScheme as scheme, parseMavenRange, toHardMavenRange } from './MavenVersionScheme';

/** Pairs of the list that do not compare as strictly ascending, as `a ? b`. */
function outOfOrder(versions: string[]): string[] {
  const wrong: string[] = [];
  for (let i = 0; i < versions.length; i++) {
    for (let j = i + 1; j < versions.length; j++) {
      const forward = compareMavenVersions(versions[i], versions[j]);
      const backward = compareMavenVersions(versions[j], versions[i]);
      if (forward !== -1 || backward !== 1) wrong.push(`${versions[i]} ? ${versions[j]}`);
    }
  }
  return wrong;
}

describe('Maven version ordering', () => {
  it('orders qualifiers: alpha < beta < milestone < rc < snapshot < release < sp < others < numbers', () => {
    expect(outOfOrder([
      '1-alpha2snapshot',
      '1-alpha2',
      '1-alpha-123',
      '1-beta-2',
      '1-beta123',
      '1-m2',
      '1-m11',
      '1-rc',
      '1-cr2',
      '1-rc123',
      '1-SNAPSHOT',
      '1',
      '1-sp',
      '1-sp2',
      '1-sp123',
      '1-abc',
      '1-def',
      '1-pom-1',
      '1-1-snapshot',
      '1-1',
      '1-2',
      '1-123',
    ])).toEqual([]);
  });

  it('orders numbers numerically and dots above dashes', () => {
    expect(outOfOrder([
      '2.0',
      '2-1',
      '2.0.a',
      '2.0.0.a',
      '2.0.2',
      '2.0.123',
      '2.1.0',
      '2.1-a',
      '2.1b',
      '2.1-c',
      '2.1-1',
      '2.1.0.1',
      '2.2',
      '2.123',
      '11.a2',
      '11.a11',
      '11.b2',
      '11.b11',
      '11.m2',
      '11.m11',
      '11',
      '11.a',
      '11b',
      '11c',
      '11m',
    ])).toEqual([]);
    expect(outOfOrder(['1.0-alpha-1', '1.0-beta-1', '1.0-SNAPSHOT', '1.0', '1.0-1', '1.0-2', '2.0.1', '2.0.1-xyz', '2.0.1-123'])).toEqual([]);
    expect(outOfOrder(['1.1', '1.0'])).toEqual(['1.1 ? 1.0']);
    expect(outOfOrder(['1.9', '1.10', '1.100', '12345678901234567890', '12345678901234567891'])).toEqual([]);
  });

  it.each([
    ['1', '1.0'],
    ['1', '1.0.0'],
    ['1', '1-0'],
    ['1.0', '1.0-0'],
    ['1a', '1-a'],
    ['1a', '1.0.0-a'],
    ['1x', '1.0-x'],
    ['1ga', '1'],
    ['1final', '1'],
    ['1-GA', '1'],
    ['1cr', '1rc'],
    ['1a1', '1alpha1'],
    ['1b2', '1beta2'],
    ['1m3', '1milestone3'],
    ['1M3', '1MileStone3'],
    ['1-ABCDEFGHIJKLMNOPQRSTUVWXYZ', '1-abcdefghijklmnopqrstuvwxyz'],
  ])('treats %s and %s as equal', (a, b) => {
    expect(compareMavenVersions(a, b)).toBe(0);
    expect(canonicalMavenVersion(a)).toBe(canonicalMavenVersion(b));
  });

  it('prints canonical forms as Maven does', () => {
    expect(canonicalMavenVersion('1.0-alpha-1')).toBe('1-alpha-1');
    expect(canonicalMavenVersion('3.2.4-SNAPSHOT')).toBe('3.2.4-snapshot');
    expect(canonicalMavenVersion('1.0.0.RELEASE')).toBe('1.0.0.release');
  });

  it('sorts with the scheme, invalid versions first', () => {
    expect(['2.0', '${v}', '1.0-rc1', '1.0', '1.0.1'].sort(scheme.compare)).toEqual([
      '${v}',
      '1.0-rc1',
      '1.0',
      '1.0.1',
      '2.0',
    ]);
    expect(scheme.isValidVersion('4.1.100.Final')).toBe(true);
    expect(scheme.isValidVersion('[1.0]')).toBe(false);
    expect(scheme.isValidVersion('1\\.0.*')).toBe(false);
  });
});

describe('Maven version ranges', () => {
  it('parses sets, open ends, exact versions and soft requirements', () => {
    expect(parseMavenRange('[1.0,2.0)')).toEqual({
      type: 'sets',
      restrictions: [{ lower: '1.0', lowerInclusive: true, upper: '2.0', upperInclusive: false }],
    });
    expect(parseMavenRange('(,1.0]')).toEqual({
      type: 'sets',
      restrictions: [{ lowerInclusive: false, upper: '1.0', upperInclusive: true }],
    });
    expect(parseMavenRange('[1.2]')).toEqual({
      type: 'sets',
      restrictions: [{ lower: '1.2', lowerInclusive: true, upper: '1.2', upperInclusive: true }],
    });
    expect(parseMavenRange('[1,2), [3,4)')?.type).toBe('sets');
    expect(parseMavenRange('1.0')).toEqual({ type: 'soft', version: '1.0' });
  });

  it.each(['(1.0)', '[1.0)', '[2.0,1.0]', '[1.0,1.0]', '(,)', '[1.0', '[1,2),3', '1.0,2.0', '^1\\.', ''])(
    'rejects %j as a Maven range',
    range => {
      expect(parseMavenRange(range)).toBeUndefined();
    },
  );

  it.each([
    ['1.5', '[1.0,2.0)', true],
    ['2.0', '[1.0,2.0)', false],
    ['1.0', '[1.0,2.0)', true],
    ['1.0', '(1.0,2.0)', false],
    ['2.0-SNAPSHOT', '[1.0,2.0)', true],
    ['0.1', '(,1.0]', true],
    ['1.0.0', '(,1.0]', true],
    ['1.1', '(,1.0]', false],
    ['1.2', '[1.2]', true],
    ['1.2.0', '[1.2]', true],
    ['1.2.1', '[1.2]', false],
    ['1.5', '[1,2),[3,4)', true],
    ['2.5', '[1,2),[3,4)', false],
    ['3.5', '[1,2),[3,4)', true],
    ['5', '[1.0,)', true],
    ['1.0', '1.0', true],
    ['1.1', '1.0', false],
    ['anything', '', true],
  ])('%s in %s: %s', (version, range, expected) => {
    expect(scheme.satisfies(version, range)).toBe(expected);
  });

  it('makes the highest version satisfying a soft requirement the one required', () => {
    const available = ['0.9', '1.0', '1.1', '2.0'];
    const satisfying = available.filter(v => scheme.satisfies(v, '1.0')).sort(scheme.compare);
    expect(satisfying.at(-1)).toBe('1.0');
    expect(toHardMavenRange('1.0')).toBe('[1.0]');
    expect(toHardMavenRange('[1.0,2.0)')).toBe('[1.0,2.0)');
  });

  it('tells ranges from other strings', () => {
    expect(scheme.isValidRange('')).toBe(true);
    expect(scheme.isValidRange('[1.0,2.0)')).toBe(true);
    expect(scheme.isValidRange('1.0')).toBe(true);
    expect(scheme.isValidRange('^1\\.')).toBe(false);
    expect(scheme.isValidRange('1.*')).toBe(false);
  });
});
