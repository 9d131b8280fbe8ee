import { isNpmPackageName, parseNpmDependencySpec } from './npmDependencySpec';

describe('parseNpmDependencySpec', () => {
  it.each([
    ['^1.2.3', 'range'],
    ['~1.2', 'range'],
    ['1.x', 'range'],
    ['>=1 <2', 'range'],
    ['>= 1.0.0', 'range'],
    ['1.0.0 - 2.0.0', 'range'],
    ['^1 || ^2', 'range'],
    ['*', 'range'],
    ['', 'range'],
    ['1.2.3', 'version'],
    ['=1.2.3', 'version'],
    ['v1.2.3', 'version'],
    ['latest', 'tag'],
    ['next', 'tag'],
    ['beta', 'tag'],
  ])('reads %j as a registry %s', (spec, rangeType) => {
    expect(parseNpmDependencySpec('pkg', spec)).toEqual({
      type: 'registry',
      name: 'pkg',
      range: spec,
      rangeType,
    });
  });

  it('trims whitespace around specs', () => {
    expect(parseNpmDependencySpec('pkg', ' ^1.0.0 ')).toMatchObject({ range: '^1.0.0' });
  });

  it('resolves npm aliases to the real package', () => {
    expect(parseNpmDependencySpec('string-width-cjs', 'npm:string-width@^4.2.0')).toEqual({
      type: 'registry',
      name: 'string-width',
      range: '^4.2.0',
      rangeType: 'range',
      alias: 'string-width-cjs',
    });
    expect(parseNpmDependencySpec('x', 'npm:@scope/real@1.0.0')).toMatchObject({
      name: '@scope/real',
      range: '1.0.0',
      rangeType: 'version',
    });
    expect(parseNpmDependencySpec('x', 'npm:@scope/real')).toMatchObject({
      name: '@scope/real',
      range: '',
    });
    expect(parseNpmDependencySpec('x', 'npm:real@next')).toMatchObject({
      name: 'real',
      range: 'next',
      rangeType: 'tag',
    });
  });

  it.each([
    ['user/repo', 'git'],
    ['user/repo#v1.0.0', 'git'],
    ['github:user/repo', 'git'],
    ['gitlab:user/repo', 'git'],
    ['bitbucket:user/repo', 'git'],
    ['git+https://example.invalid/r.git', 'git'],
    ['git://example.invalid/r.git#semver:^1', 'git'],
    ['git+ssh://git@example.invalid/r.git', 'git'],
    ['git@github.com:user/repo.git', 'git'],
    ['https://github.com/user/repo', 'git'],
    ['https://example.invalid/pkg-1.0.0.tgz', 'remote'],
    ['http://example.invalid/pkg.tgz', 'remote'],
    ['file:../pkg', 'directory'],
    ['file:pkg-1.0.0.tgz', 'file'],
    ['./pkg', 'directory'],
    ['../pkg-1.0.0.tgz', 'file'],
    ['/abs/pkg', 'directory'],
    ['~/pkg', 'directory'],
    ['pkg-1.0.0.tgz', 'file'],
    ['link:../pkg', 'link'],
    ['workspace:*', 'workspace'],
    ['workspace:^1.0.0', 'workspace'],
  ])('records %j as unsupported (%s)', (spec, specType) => {
    expect(parseNpmDependencySpec('pkg', spec)).toEqual({
      type: 'unsupported',
      name: 'pkg',
      spec,
      specType,
      reason: `unsupported spec: ${specType}`,
    });
  });

  it('records malformed specs and bad aliases without throwing', () => {
    expect(parseNpmDependencySpec('pkg', 'not a range!')).toMatchObject({
      type: 'unsupported',
      specType: 'invalid',
      reason: "invalid spec 'not a range!': neither a semver range nor a dist-tag",
    });
    expect(parseNpmDependencySpec('pkg', 'npm:')).toMatchObject({ specType: 'invalid' });
    expect(parseNpmDependencySpec('pkg', 'npm:other@github:u/r')).toMatchObject({
      specType: 'alias',
      reason: 'unsupported spec: alias (target is not a registry package: unsupported spec: git)',
    });
    expect(parseNpmDependencySpec('pkg', 'foo:bar')).toMatchObject({ specType: 'invalid' });
  });
});

describe('isNpmPackageName', () => {
  it('accepts registry names and rejects paths', () => {
    expect(isNpmPackageName('express')).toBe(true);
    expect(isNpmPackageName('@jest/types')).toBe(true);
    expect(isNpmPackageName('JSONStream')).toBe(true);
    expect(isNpmPackageName('../etc')).toBe(false);
    expect(isNpmPackageName('a/b')).toBe(false);
    expect(isNpmPackageName('@scope/a/b')).toBe(false);
    expect(isNpmPackageName('has space')).toBe(false);
    expect(isNpmPackageName('')).toBe(false);
  });

  it('rejects names that are not URL-safe, as npm does for old and new names alike', () => {
    expect(isNpmPackageName("legacy.name_with-chars~!*'()")).toBe(true);
    expect(isNpmPackageName('../../etc/passwd')).toBe(false);
    expect(isNpmPackageName('a\\b\\..\\c')).toBe(false);
    expect(isNpmPackageName('a\u0000b')).toBe(false);
    expect(isNpmPackageName('caf\u00e9')).toBe(false);
    expect(isNpmPackageName('@scope/..')).toBe(false);
    expect(isNpmPackageName('@sc%2fope/x')).toBe(false);
  });
});
