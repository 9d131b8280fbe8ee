import { semverScheme } from './semverScheme';

describe('semverScheme', () => {
  it('orders versions as npm does, invalid ones first', () => {
    const versions = ['1.10.0', '1.2.0', 'not-a-version', '1.2.0-beta.2', '1.2.0-beta.10', '0.9.0'];
    expect([...versions].sort(semverScheme.compare)).toEqual([
      'not-a-version',
      '0.9.0',
      '1.2.0-beta.2',
      '1.2.0-beta.10',
      '1.2.0',
      '1.10.0',
    ]);
    expect(semverScheme.compare('1.0.0+b', '1.0.0+a')).toBeGreaterThan(0);
    expect(semverScheme.compare('1.0.0', '1.0.0')).toBe(0);
  });

  it('validates versions and ranges', () => {
    expect(semverScheme.isValidVersion('1.2.3')).toBe(true);
    expect(semverScheme.isValidVersion('v1.2.3')).toBe(true);
    expect(semverScheme.isValidVersion('1.2')).toBe(false);
    expect(semverScheme.isValidRange('^1.2')).toBe(true);
    expect(semverScheme.isValidRange('')).toBe(true);
    expect(semverScheme.isValidRange('latest')).toBe(false);
  });

  it('leaves prereleases out of ranges unless the range names one', () => {
    expect(semverScheme.satisfies('2.0.0-beta.1', '>=1.0.0')).toBe(false);
    expect(semverScheme.satisfies('2.0.0-beta.1', '*')).toBe(false);
    expect(semverScheme.satisfies('2.0.0-beta.2', '>=2.0.0-beta.1')).toBe(true);
    expect(semverScheme.satisfies('1.5.0', '^1.2.3')).toBe(true);
    expect(semverScheme.satisfies('2.0.0', '^1.2.3')).toBe(false);
    expect(semverScheme.satisfies('1.0.0', '')).toBe(true);
    expect(semverScheme.satisfies('1.0.0', 'latest')).toBe(false);
    expect(semverScheme.satisfies('nope', '*')).toBe(false);
  });
});
