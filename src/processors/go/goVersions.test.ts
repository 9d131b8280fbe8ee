import { compareGoVersions, goAtLeast, isPseudoVersion, parseGoVersion } from './goSemver';
import { goVersionScheme as scheme } from './goVersionScheme';
import { escapeModulePath, modulePathProblem, unescapeModulePath, versionFitsPath } from './modulePath';

describe('Go versions', () => {
  it('parses canonical versions only', () => {
    for (const valid of ['v0.0.0', 'v1.2.3', 'v1.2.3-rc.1', 'v2.0.0+incompatible', 'v0.0.0-20240101120000-abcdef123456']) {
      expect(parseGoVersion(valid)).toBeDefined();
    }
    for (const invalid of ['1.2.3', 'v1.2', 'v01.2.3', 'v1.2.3-01', 'v1.2.3+build', 'latest', 'v1.2.3 ']) {
      expect(parseGoVersion(invalid)).toBeUndefined();
    }
  });

  it('orders by semver precedence, pseudo-versions before their release', () => {
    const sorted = [
      'v1.10.0',
      'v1.2.0',
      'v1.2.0-rc.1',
      'v1.2.0-0.20240101120000-abcdef123456',
      'v1.2.0-rc.10',
      'v1.2.0-rc.2',
      'v0.9.0',
      'v2.0.0+incompatible',
      'v99999999999999999999.0.0',
    ].sort(compareGoVersions);
    expect(sorted).toEqual([
      'v0.9.0',
      'v1.2.0-0.20240101120000-abcdef123456',
      'v1.2.0-rc.1',
      'v1.2.0-rc.2',
      'v1.2.0-rc.10',
      'v1.2.0',
      'v1.10.0',
      'v2.0.0+incompatible',
      'v99999999999999999999.0.0',
    ]);
  });

  it('tells pseudo-versions from tags', () => {
    expect(isPseudoVersion('v0.0.0-20240101120000-abcdef123456')).toBe(true);
    expect(isPseudoVersion('v1.2.4-0.20240101120000-abcdef123456')).toBe(true);
    expect(isPseudoVersion('v1.2.3-pre.0.20240101120000-abcdef123456')).toBe(true);
    expect(isPseudoVersion('v1.2.3-rc.1')).toBe(false);
  });

  it('reads go directives, a missing one as go 1.16', () => {
    expect(goAtLeast('1.17', 1, 17)).toBe(true);
    expect(goAtLeast('1.21.0', 1, 17)).toBe(true);
    expect(goAtLeast('1.16', 1, 17)).toBe(false);
    expect(goAtLeast(undefined, 1, 17)).toBe(false);
  });
});

describe('goVersionScheme', () => {
  it('reads a requirement as that version or later within its major path', () => {
    expect(scheme.satisfies('v1.5.0', '>=v1.2.0')).toBe(true);
    expect(scheme.satisfies('v1.1.0', '>=v1.2.0')).toBe(false);
    expect(scheme.satisfies('v2.0.0+incompatible', '>=v1.2.0')).toBe(false);
    // v0 and v1 share the unsuffixed path.
    expect(scheme.satisfies('v1.0.0', '>=v0.5.0')).toBe(true);
    expect(scheme.satisfies('v1.5.0', '>= v1.2.0, <v1.5.0')).toBe(false);
    expect(scheme.satisfies('v1.4.9', '>= v1.2.0 <v1.5.0')).toBe(true);
  });

  it('pins bare versions and go.mod-only walk versions, which nothing else selects', () => {
    expect(scheme.pinnedVersion!('v1.2.0')).toBe('v1.2.0');
    expect(scheme.pinnedVersion!('=v1.2.0')).toBe('v1.2.0');
    expect(scheme.pinnedVersion!('v1.2.0~go.mod')).toBe('v1.2.0~go.mod');
    expect(scheme.pinnedVersion!('>=v1.2.0')).toBeUndefined();
    expect(scheme.satisfies('v1.2.0~go.mod', '>=v1.0.0')).toBe(false);
    expect(scheme.isValidVersion('v1.2.0~go.mod')).toBe(true);
    expect(['v1.2.0~go.mod', 'v1.3.0', 'v1.2.0'].sort(scheme.compare)).toEqual(['v1.2.0', 'v1.2.0~go.mod', 'v1.3.0']);
    expect(scheme.isValidRange('^1.2.0')).toBe(false);
  });
});

describe('module paths', () => {
  it('case-encodes for proxy URLs and refuses malformed encodings', () => {
    expect(escapeModulePath('github.com/Azure/azure-SDK')).toBe('github.com/!azure/azure-!s!d!k');
    expect(unescapeModulePath('github.com/!azure/azure-!s!d!k')).toBe('github.com/Azure/azure-SDK');
    expect(unescapeModulePath('github.com/Azure')).toBeUndefined();
    expect(unescapeModulePath('github.com/!!a')).toBeUndefined();
  });

  it('checks paths and their major-version suffixes', () => {
    expect(modulePathProblem('golang.org/x/text')).toBeUndefined();
    expect(modulePathProblem('gopkg.in/yaml.v3')).toBeUndefined();
    expect(modulePathProblem('example.com/a/../b')).toMatch(/must not start or end with a dot/);
    expect(modulePathProblem('example.com//b')).toMatch(/empty path element/);
    expect(modulePathProblem('localhost/x')).toMatch(/host name that contains a dot/);
    expect(modulePathProblem('example.com/a b')).toMatch(/may hold only/);
    expect(modulePathProblem('gopkg.in/yaml')).toMatch(/major version suffix/);
  });

  it('ties versions to the major version of their path', () => {
    expect(versionFitsPath('example.com/m', 'v1.2.0')).toBe(true);
    expect(versionFitsPath('example.com/m', 'v2.0.0')).toBe(false);
    expect(versionFitsPath('example.com/m', 'v2.0.0+incompatible')).toBe(true);
    expect(versionFitsPath('example.com/m/v2', 'v2.1.0')).toBe(true);
    expect(versionFitsPath('example.com/m/v2', 'v3.0.0')).toBe(false);
    expect(versionFitsPath('gopkg.in/yaml.v3', 'v3.0.1')).toBe(true);
    expect(versionFitsPath('gopkg.in/yaml.v1', 'v0.1.0')).toBe(true);
  });
});
