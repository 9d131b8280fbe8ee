import { cargoRequirementToRange, cargoVersionScheme as scheme, pinnedCargoVersion } from './cargoVersionScheme';

describe('cargoVersionScheme', () => {
  it.each([
    // A bare version is a caret requirement.
    ['1.2', '1.2.0', true],
    ['1.2', '1.9.9', true],
    ['1.2', '2.0.0', false],
    ['1.2', '1.1.9', false],
    ['1.2.3', '1.2.2', false],
    ['0.2.3', '0.2.9', true],
    ['0.2.3', '0.3.0', false],
    ['0.0.3', '0.0.4', false],
    ['0', '0.9.0', true],
    ['^0.0', '0.0.9', true],
    ['^0.0', '0.1.0', false],
    // Tilde, exact, wildcards and comparators joined by commas.
    ['~1.2', '1.2.9', true],
    ['~1.2', '1.3.0', false],
    ['~1', '1.9.0', true],
    ['=1.2.3', '1.2.3', true],
    ['=1.2.3', '1.2.4', false],
    ['=1.2', '1.2.7', true],
    ['1.*', '1.5.0', true],
    ['1.2.*', '1.3.0', false],
    ['*', '7.0.0', true],
    ['>= 1.2, < 1.5', '1.4.9', true],
    ['>= 1.2, < 1.5', '1.5.0', false],
    ['>1.2', '1.2.9', false],
    ['>1.2', '1.3.0', true],
    ['<=1.2', '1.2.9', true],
    // Pre-releases match only a comparator of the same version that names one.
    ['1.2', '1.3.0-alpha.1', false],
    ['*', '1.0.0-rc.1', false],
    ['^1.2.3-alpha.1', '1.2.3-alpha.2', true],
    ['^1.2.3-alpha.1', '1.2.4-alpha.1', false],
    ['>=1.0.0-beta, <2', '1.0.0-rc.1', true],
    // Build metadata does not take part.
    ['=1.2.3', '1.2.3+build.5', true],
  ])('%s matches %s: %s', (requirement, version, expected) => {
    expect(scheme.isValidRange(requirement)).toBe(true);
    expect(scheme.satisfies(version, requirement)).toBe(expected);
  });

  it('refuses what Cargo refuses, and npm-only syntax', () => {
    for (const bad of ['', '1.2 || 2', '1.0.0 - 2.0.0', 'v1.2.3', 'latest', '>=1.*', '1.2.3-', '1,,2', '1.2.3.4']) {
      expect([bad, scheme.isValidRange(bad)]).toEqual([bad, false]);
    }
    expect(scheme.isValidRange('x'.repeat(2000))).toBe(false);
  });

  it('translates to node-semver spellings', () => {
    expect(cargoRequirementToRange('1.2, <1.5')).toBe('^1.2 <1.5');
    expect(cargoRequirementToRange('=1.*')).toBe('=1.*');
    expect(cargoRequirementToRange('2.x')).toBe('2.x');
  });

  it('knows strict SemVer versions only and orders them', () => {
    expect(scheme.isValidVersion('1.2.3')).toBe(true);
    expect(scheme.isValidVersion('1.2.3-rc.1+build')).toBe(true);
    for (const bad of ['v1.2.3', '1.2', '01.2.3', '=1.2.3', ' 1.2.3']) {
      expect([bad, scheme.isValidVersion(bad)]).toEqual([bad, false]);
    }
    const sorted = ['1.10.0', '1.2.0', '1.2.0-rc.1', 'junk', '0.9.9'].sort(scheme.compare);
    expect(sorted).toEqual(['junk', '0.9.9', '1.2.0-rc.1', '1.2.0', '1.10.0']);
  });

  it('tells which version an exact requirement pins', () => {
    expect(pinnedCargoVersion('=1.2.3')).toBe('1.2.3');
    expect(pinnedCargoVersion('= 1.2.3-rc.1')).toBe('1.2.3-rc.1');
    expect(pinnedCargoVersion('=1.2')).toBeUndefined();
    expect(pinnedCargoVersion('1.2.3')).toBeUndefined();
    expect(pinnedCargoVersion('=1.2.3, <2')).toBeUndefined();
  });
});
