import { parseComposerConstraint } from './composerConstraint';
import { normalizeComposerVersion, parseStability, phpVersionCompare } from './composerVersion';
import { composerVersionScheme as scheme } from './composerVersionScheme';

// Expected values are what composer/semver 3 answers for the same input.

const bounds = (constraint: string) =>
  parseComposerConstraint(constraint)!.any.map(group => group.map(b => `${b.op} ${b.version}`).join(', '));

describe('Composer versions', () => {
  it.each([
    ['v1.2', '1.2.0.0'],
    ['1.0.0-beta2', '1.0.0.0-beta2'],
    ['2.0-b3', '2.0.0.0-beta3'],
    ['1.x-dev', '1.9999999.9999999.9999999-dev'],
    ['1.0.x-dev', '1.0.9999999.9999999-dev'],
    ['dev-main', 'dev-main'],
    ['master', 'dev-master'],
    ['2024.01.15', '2024.01.15.0'],
    ['1.0.0-RC1', '1.0.0.0-RC1'],
    ['1.0.0-pl2', '1.0.0.0-patch2'],
    ['1.2.3+build', '1.2.3.0'],
    ['1.0.0-alpha.1', '1.0.0.0-alpha1'],
  ])('normalises %s to %s', (version, expected) => {
    expect(normalizeComposerVersion(version)).toBe(expected);
  });

  it('refuses what is no version', () => {
    for (const bad of ['', 'foo', '1.0.0 beta', 'dev-', '1..2']) {
      expect(normalizeComposerVersion(bad)).toBeUndefined();
      expect(scheme.isValidVersion(bad)).toBe(false);
    }
  });

  it('knows stabilities', () => {
    expect(parseStability('1.0.0')).toBe('stable');
    expect(parseStability('1.0.0-pl1')).toBe('stable');
    expect(parseStability('v2.0.0-RC1')).toBe('RC');
    expect(parseStability('2.0-b3')).toBe('beta');
    expect(parseStability('2.0.0-alpha2')).toBe('alpha');
    expect(parseStability('dev-main')).toBe('dev');
    expect(parseStability('1.x-dev')).toBe('dev');
  });

  it('orders as PHP version_compare does, branches first', () => {
    expect(phpVersionCompare('1.0.0.0-dev', '1.0.0.0-alpha1')).toBe(-1);
    expect(phpVersionCompare('1.0.0.0-alpha1', '1.0.0.0-beta1')).toBe(-1);
    expect(phpVersionCompare('1.0.0.0-RC1', '1.0.0.0')).toBe(-1);
    expect(phpVersionCompare('1.0.0.0', '1.0.0.0-patch1')).toBe(-1);
    expect(phpVersionCompare('1.10.0.0', '1.9.0.0')).toBe(1);
    const sorted = ['v1.10.0', 'dev-main', '1.2.0', '1.2.0-beta1', '1.x-dev', 'v1.9.0'].sort(scheme.compare);
    expect(sorted).toEqual(['dev-main', '1.2.0-beta1', '1.2.0', 'v1.9.0', 'v1.10.0', '1.x-dev']);
  });
});

describe('Composer constraints', () => {
  it.each([
    ['^1.2', ['>= 1.2.0.0-dev, < 2.0.0.0-dev']],
    ['^0.3', ['>= 0.3.0.0-dev, < 0.4.0.0-dev']],
    ['^0.0.3', ['>= 0.0.3.0-dev, < 0.0.4.0-dev']],
    ['~1.2', ['>= 1.2.0.0-dev, < 2.0.0.0-dev']],
    ['~1.2.3', ['>= 1.2.3.0-dev, < 1.3.0.0-dev']],
    ['~1', ['>= 1.0.0.0-dev, < 2.0.0.0-dev']],
    ['1.2.*', ['>= 1.2.0.0-dev, < 1.3.0.0-dev']],
    ['*', ['']],
    ['>=1.0 <2.0', ['>= 1.0.0.0-dev, < 2.0.0.0-dev']],
    ['>=1.0,<2.0', ['>= 1.0.0.0-dev, < 2.0.0.0-dev']],
    ['^1.0 || ^2.0', ['>= 1.0.0.0-dev, < 2.0.0.0-dev', '>= 2.0.0.0-dev, < 3.0.0.0-dev']],
    ['^1.0 | ^2.0', ['>= 1.0.0.0-dev, < 2.0.0.0-dev', '>= 2.0.0.0-dev, < 3.0.0.0-dev']],
    ['1.0 - 2.0', ['>= 1.0.0.0-dev, < 2.1.0.0-dev']],
    ['1.0.0 - 2.1.3', ['>= 1.0.0.0-dev, <= 2.1.3.0']],
    ['^2.0@beta', ['>= 2.0.0.0-dev, < 3.0.0.0-dev']],
    ['>=1.0@dev', ['>= 1.0.0.0-dev']],
    ['dev-main', ['== dev-main']],
    ['1.x-dev', ['== 1.9999999.9999999.9999999-dev']],
    ['!=1.5', ['!= 1.5.0.0']],
    ['<2', ['< 2.0.0.0-dev']],
  ])('expands %s as Composer does', (constraint, expected) => {
    expect(bounds(constraint)).toEqual(expected);
  });

  it('refuses what Composer refuses', () => {
    for (const bad of ['', '~>1.0', 'foo bar', '>=abc', '^']) expect(scheme.isValidRange(bad)).toBe(false);
  });

  it('admits unstable versions only when the constraint asks for them', () => {
    expect(scheme.satisfies('1.5.0', '^1.2')).toBe(true);
    expect(scheme.satisfies('v1.5.0', '^1.2')).toBe(true);
    expect(scheme.satisfies('2.0.0', '^1.2')).toBe(false);
    expect(scheme.satisfies('1.5.0-beta1', '^1.2')).toBe(false);
    expect(scheme.satisfies('1.5.0-beta1', '^1.2@beta')).toBe(true);
    expect(scheme.satisfies('1.5.0-alpha1', '^1.2@beta')).toBe(false);
    expect(scheme.satisfies('2.0.0-RC1', '2.0.0-RC1')).toBe(true);
    expect(scheme.satisfies('1.x-dev', '^1.2')).toBe(false);
    expect(scheme.satisfies('1.x-dev', '^1.2@dev')).toBe(true);
    expect(scheme.satisfies('1.x-dev', '1.x-dev')).toBe(true);
    expect(scheme.satisfies('dev-main', 'dev-main')).toBe(true);
    expect(scheme.satisfies('dev-main', '*')).toBe(false);
    // `*` matches everything, branches too (Composer's MatchAllConstraint).
    expect(scheme.satisfies('dev-main', '*@dev')).toBe(true);
    expect(scheme.satisfies('3.1.0', '^1.0 || ^3.0')).toBe(true);
    expect(scheme.satisfies('1.0.0', '1.0.0 - 2.1.3')).toBe(true);
    expect(scheme.satisfies('2.1.4', '1.0.0 - 2.1.3')).toBe(false);
    expect(scheme.satisfies('1.5.0', '!=1.5')).toBe(false);
  });
});
