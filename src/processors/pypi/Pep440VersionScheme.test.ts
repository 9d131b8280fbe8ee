import { pep440VersionScheme as scheme } from './Pep440VersionScheme';

describe('pep440VersionScheme', () => {
  it('orders versions the PEP 440 way, invalid ones first', () => {
    const sorted = [
      '1.0.post1',
      '1.0',
      'not-a-version',
      '1.0rc1',
      '1.0a1',
      '1.0.dev0',
      '0.9',
      '1!0.1',
      '1.0b2',
      '1.1',
      '1.0.1',
    ].sort(scheme.compare);
    expect(sorted).toEqual([
      'not-a-version',
      '0.9',
      '1.0.dev0',
      '1.0a1',
      '1.0b2',
      '1.0rc1',
      '1.0',
      '1.0.post1',
      '1.0.1',
      '1.1',
      '1!0.1',
    ]);
    expect(scheme.compare('1.0', '1.0.0')).toBe(0);
    expect(scheme.isValidVersion('2.0rc1')).toBe(true);
    expect(scheme.isValidVersion('latest')).toBe(false);
  });

  it.each([
    ['2.5', '>=2,<3', true],
    ['3.0', '>=2,<3', false],
    ['2.5', '>= 2 , < 3', true],
    ['1.5', '~=1.4', true],
    ['2.0', '~=1.4', false],
    ['1.4.5', '~=1.4.2', true],
    ['1.5.0', '~=1.4.2', false],
    ['1.2.3', '==1.*', true],
    ['2.0', '==1.*', false],
    ['1.5', '!=1.5', false],
    ['1.0', '', true],
    ['1.0', '===1.0', true],
    ['1.0+local', '==1.0', true],
  ])('%s satisfies %j: %s', (version, range, expected) => {
    expect(scheme.satisfies(version, range)).toBe(expected);
  });

  it('excludes pre-releases unless the specifier set names one', () => {
    expect(scheme.satisfies('3.0b1', '')).toBe(false);
    expect(scheme.satisfies('3.0b1', '>=2')).toBe(false);
    expect(scheme.satisfies('3.0b1', '>=3.0a1')).toBe(true);
    // PEP 440 decides per set: a pre-release in one clause admits them all.
    expect(scheme.satisfies('3.0b1', '>=3.0a1,<4')).toBe(true);
    expect(scheme.satisfies('3.0.dev1', '>=3.0.dev0')).toBe(true);
  });

  it('matches a union of specifier sets when any set matches', () => {
    const range = '<2 || >=3,<4';
    expect(scheme.isValidRange(range)).toBe(true);
    expect(scheme.satisfies('1.5', range)).toBe(true);
    expect(scheme.satisfies('2.5', range)).toBe(false);
    expect(scheme.satisfies('3.5', range)).toBe(true);
  });

  it('tells ranges from other strings', () => {
    expect(scheme.isValidRange('')).toBe(true);
    expect(scheme.isValidRange('>=1.0,!=1.5.*')).toBe(true);
    expect(scheme.isValidRange('~=1')).toBe(false);
    expect(scheme.isValidRange('1.0')).toBe(false);
    expect(scheme.isValidRange('^1\\.')).toBe(false);
    expect(scheme.satisfies('garbage', '')).toBe(false);
  });
});
