import { artifactEntityName, MAX_NAME_LENGTH } from './entityName';

// The catalog's own name rule (KubernetesValidatorFunctions.isValidObjectName).
const VALID_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

describe('artifactEntityName', () => {
  it('keeps processor-id when that is already a valid, unambiguous name', () => {
    expect(artifactEntityName('npm', 'express')).toBe('npm-express');
    expect(artifactEntityName('pypi', 'zope.interface')).toBe('pypi-zope.interface');
    expect(artifactEntityName('cargo', 'serde_json')).toBe('cargo-serde_json');
  });

  it('makes every other id a valid name with a hash suffix', () => {
    const ids: Array<[string, string]> = [
      ['npm', '@scope/pkg'],
      ['maven', 'org.slf4j:slf4j-api'],
      ['go', 'github.com/Azure/azure-sdk-for-go'],
      ['oci', 'docker.io/library/nginx'],
      ['nuget', 'Serilog.Sinks.Console'],
      ['my-proc', 'x'],
      ['npm', '-leading'],
      ['npm', '///'],
      ['npm', `a${'b'.repeat(300)}`],
    ];
    for (const [processor, id] of ids) {
      const name = artifactEntityName(processor, id);
      expect(name).toMatch(VALID_NAME);
      expect(name.length).toBeLessThanOrEqual(MAX_NAME_LENGTH);
      expect(name).toMatch(/-[0-9a-f]{10}$/);
    }
    expect(artifactEntityName('npm', '@scope/pkg')).toMatch(/^npm-scope-pkg-[0-9a-f]{10}$/);
    expect(artifactEntityName('npm', '///')).toMatch(/^npm-[0-9a-f]{10}$/);
  });

  it('is stable, and unique where ids differ only in case, punctuation or past the cut', () => {
    expect(artifactEntityName('maven', 'g:A')).toBe(artifactEntityName('maven', 'g:A'));
    const names = [
      artifactEntityName('maven', 'g:A'),
      artifactEntityName('maven', 'g:a'),
      artifactEntityName('npm', '@scope/pkg'),
      artifactEntityName('npm', 'scope-pkg'),
      artifactEntityName('npm', 'scope/pkg'),
      // Separators in a processor name cannot shift the boundary.
      artifactEntityName('a', 'b-c'),
      artifactEntityName('a-b', 'c'),
      artifactEntityName('npm', `${'x'.repeat(80)}1`),
      artifactEntityName('npm', `${'x'.repeat(80)}2`),
    ];
    // The catalog compares names case-insensitively.
    expect(new Set(names.map(name => name.toLowerCase())).size).toBe(names.length);
  });
});
