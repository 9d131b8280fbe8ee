import { ociVersionScheme as scheme } from './ociVersionScheme';

const digest = `sha256:${'a'.repeat(64)}`;

describe('ociVersionScheme', () => {
  it('orders digests, then other tags lexically, then semver-like tags by semver', () => {
    const tags = ['latest', '1.25.3', 'v1.9', '1.25', '1.25.3-alpine', 'alpine', '2', digest, '1.100.0'];
    expect([...tags].sort(scheme.compare)).toEqual([
      digest,
      'alpine',
      'latest',
      'v1.9',
      '1.25',
      '1.25.3-alpine',
      '1.25.3',
      '1.100.0',
      '2',
    ]);
  });

  it('reads a tag as that tag, a digest as a pin, and anything else as a semver range over semver-like tags', () => {
    expect(scheme.satisfies('latest', 'latest')).toBe(true);
    expect(scheme.satisfies('1.25.3', '1.25')).toBe(false);
    expect(scheme.satisfies('1.25', '1.25')).toBe(true);
    expect(scheme.satisfies('1.25.3', '^1.25.0')).toBe(true);
    expect(scheme.satisfies('v1.26', '>=1.25 <2')).toBe(true);
    expect(scheme.satisfies('1.25.3-alpine', '^1.25.0')).toBe(false);
    expect(scheme.satisfies('latest', '*')).toBe(false);
    expect(scheme.satisfies(digest, digest)).toBe(true);
    expect(scheme.pinnedVersion!(digest)).toBe(digest);
    expect(scheme.pinnedVersion!('latest')).toBeUndefined();
  });

  it('knows what is no version and no range', () => {
    for (const bad of ['', '-x', 'a'.repeat(129), 'sha256:abc', `sha512:${'a'.repeat(128)}`, 'a b']) {
      expect(scheme.isValidVersion(bad)).toBe(false);
    }
    expect(scheme.isValidRange('^1.2.3')).toBe(true);
    expect(scheme.isValidRange('^1\\.2$')).toBe(false);
  });
});
