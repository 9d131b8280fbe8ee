import { InputError } from '@backstage/errors';
import semver from 'semver';
import { VersionScheme } from '../processors/types';
import { compileVersionFilter, resolveFilterType } from './versionFilter';

// A minimal semver scheme for exercising the filter module on its own.
const scheme: VersionScheme = {
  name: 'semver',
  isValidVersion: v => semver.valid(v) !== null,
  compare: (a, b) => semver.compare(a, b),
  isValidRange: r => semver.validRange(r) !== null,
  satisfies: (v, r) => semver.satisfies(v, r),
};

describe('version filters', () => {
  it('detects ranges before regular expressions', () => {
    expect(resolveFilterType('^4.17.0', undefined, scheme)).toBe('semver');
    expect(resolveFilterType('4.21.2', undefined, scheme)).toBe('semver');
    expect(resolveFilterType('^4\\.1[0-9]\\.', undefined, scheme)).toBe('regex');
  });

  it('rejects what is neither, naming the field', () => {
    expect(() => resolveFilterType('(unclosed', undefined, scheme)).toThrow(
      /^filter: '\(unclosed' is neither a valid semver range nor a valid regular expression/,
    );
    expect(() => resolveFilterType('(unclosed', undefined, scheme)).toThrow(InputError);
  });

  it('rejects an explicit type that does not parse', () => {
    expect(() => resolveFilterType('not a range', 'semver', scheme)).toThrow(
      /filter: 'not a range' is not a valid semver range/,
    );
    expect(() => resolveFilterType('[', 'regex', scheme)).toThrow(
      /filter: invalid regular expression/,
    );
  });

  it('refuses patterns that need backtracking', () => {
    expect(() => resolveFilterType('(a)\\1', 'regex', scheme)).toThrow(InputError);
  });

  it('matches ranges and regular expressions', () => {
    const range = compileVersionFilter('^4.17.0', undefined, scheme);
    expect(['4.16.9', '4.17.0', '4.21.2', '5.0.0'].filter(range)).toEqual([
      '4.17.0',
      '4.21.2',
    ]);
    const regex = compileVersionFilter('^4\\.21\\.', 'regex', scheme);
    expect(['4.21.0', '4.21.2', '4.2.1'].filter(regex)).toEqual(['4.21.0', '4.21.2']);
    expect(compileVersionFilter(undefined, undefined, scheme)('0.0.1')).toBe(true);
  });

  it('evaluates a catastrophic-backtracking pattern in linear time', () => {
    const matcher = compileVersionFilter('^(a+)+$', 'regex', scheme);
    // A backtracking engine takes exponential time on this input (2^50
    // paths); RE2 answers at once. No timing assertion: the test would
    // simply never finish with a backtracking engine.
    const hostile = `${'a'.repeat(50_000)}!`;
    expect(matcher(hostile)).toBe(false);
    expect(matcher('aaaa')).toBe(true);
  });
});
