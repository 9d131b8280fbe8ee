import { normalizeNugetVersion, nugetVersionScheme as scheme } from './nugetVersion';

describe('nugetVersionScheme', () => {
  it('normalises as the v3 protocol does', () => {
    expect(normalizeNugetVersion('1.0')).toBe('1.0.0');
    expect(normalizeNugetVersion('1.0.0.0')).toBe('1.0.0');
    expect(normalizeNugetVersion('1.2.3.4')).toBe('1.2.3.4');
    expect(normalizeNugetVersion('01.002.3')).toBe('1.2.3');
    expect(normalizeNugetVersion('1.0.0-Beta.1+build.5')).toBe('1.0.0-Beta.1');
    expect(normalizeNugetVersion('1')).toBeUndefined();
    expect(normalizeNugetVersion('1.0.0-')).toBeUndefined();
    expect(normalizeNugetVersion('x'.repeat(300))).toBeUndefined();
  });

  it('orders releases, revisions and pre-releases', () => {
    const sorted = ['1.0.0', '1.0.0-beta.10', '1.0.0-beta.2', '1.0.0-Alpha', '1.0.0.1', '0.9.9', '2.0.0-rc.1'].sort(
      scheme.compare,
    );
    expect(sorted).toEqual(['0.9.9', '1.0.0-Alpha', '1.0.0-beta.2', '1.0.0-beta.10', '1.0.0', '1.0.0.1', '2.0.0-rc.1']);
  });

  it.each([
    ['1.0', '1.0.0', true],
    ['1.0', '5.2.1', true],
    ['1.0', '0.9.0', false],
    ['[1.0]', '1.0.0', true],
    ['[1.0]', '1.0.1', false],
    ['[1.0,2.0)', '1.9.9', true],
    ['[1.0,2.0)', '2.0.0', false],
    ['(1.0,2.0]', '1.0.0', false],
    ['(1.0,2.0]', '2.0.0', true],
    ['(,2.0]', '0.1.0', true],
    ['[1.0,)', '3.0.0', true],
    ['1.*', '1.4.0', true],
    ['1.*', '2.0.0', false],
    ['*', '7.0.0', true],
    // A pre-release satisfies only a range whose lower bound is one.
    ['1.0', '2.0.0-beta', false],
    ['1.0.0-beta', '1.0.0-rc.1', true],
  ])('%s satisfied by %s: %s', (range, version, expected) => {
    expect(scheme.isValidRange(range)).toBe(true);
    expect(scheme.satisfies(version, range)).toBe(expected);
  });

  it.each(['', '[1.0', '(1.0)', '[2.0,1.0]', '(,)', 'abc', '[a,b]', '1.0 || 2.0'])(
    'refuses the range %j',
    range => {
      expect(scheme.isValidRange(range)).toBe(false);
      expect(scheme.satisfies('1.0.0', range)).toBe(false);
    },
  );
});
