import { ReleaseTagScheme, semverOfTag } from './releaseTagScheme';

describe('ReleaseTagScheme', () => {
  it('reads semver tags with or without a leading v', () => {
    expect(semverOfTag('v1.2.3')?.version).toBe('1.2.3');
    expect(semverOfTag('1.2.3-rc.1+b5')?.version).toBe('1.2.3-rc.1');
    for (const tag of ['v1.2', 'release-1.2.3', 'V1.2.3', 'nightly', 'v01.2.3']) expect(semverOfTag(tag)).toBeUndefined();
  });

  it('is a total order: undated tags by name, then dated ones by date, then semver tags by precedence', () => {
    const scheme = new ReleaseTagScheme();
    scheme.remember('nightly', '2026-06-01T00:00:00Z');
    scheme.remember('weekly', '2026-01-01T00:00:00Z');
    scheme.remember('same-day', '2026-01-01T00:00:00Z');
    scheme.remember('v9.9.9', '2020-01-01T00:00:00Z'); // semver tags never need a date
    const tags = ['v1.10.0', 'nightly', 'v1.2.0', 'zeta', 'weekly', 'v1.2.0+b', 'alpha', 'same-day', 'v1.2.0-rc.1'];
    const sorted = [...tags].sort((a, b) => scheme.compare(a, b));
    expect(sorted).toEqual(['alpha', 'zeta', 'same-day', 'weekly', 'nightly', 'v1.2.0-rc.1', 'v1.2.0', 'v1.2.0+b', 'v1.10.0']);
    for (const a of tags) {
      expect(scheme.compare(a, a)).toBe(0);
      for (const b of tags) expect(Math.sign(scheme.compare(a, b)) + Math.sign(scheme.compare(b, a))).toBe(0);
    }
  });

  it('matches semver ranges against semver tags only', () => {
    const scheme = new ReleaseTagScheme();
    expect(scheme.isValidRange('>=1.2 <2')).toBe(true);
    expect(scheme.isValidRange('^v1\\.')).toBe(false);
    expect(scheme.satisfies('v1.5.0', '>=1.2 <2')).toBe(true);
    expect(scheme.satisfies('v2.0.0-rc.1', '>=1.2')).toBe(false);
    expect(scheme.satisfies('nightly', '*')).toBe(false);
  });
});
