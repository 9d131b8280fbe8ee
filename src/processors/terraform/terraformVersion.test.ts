import { terraformVersionScheme as scheme } from './terraformVersion';

describe('terraformVersionScheme', () => {
  const matching = (range: string, versions: string[]) => versions.filter(v => scheme.satisfies(v, range));
  const versions = ['0.9.0', '1.0.0', '1.2.0', '1.2.5', '1.3.0', '2.0.0', '2.0.0-beta.1'];

  it("reads Terraform's constraints: ~>, comma-separated clauses, != and exact versions", () => {
    expect(matching('~> 1.2', versions)).toEqual(['1.2.0', '1.2.5', '1.3.0']);
    expect(matching('~> 1.2.0', versions)).toEqual(['1.2.0', '1.2.5']);
    expect(matching('~> 1', versions)).toEqual(['1.0.0', '1.2.0', '1.2.5', '1.3.0']);
    expect(matching('>= 1.0, < 2.0, != 1.2.5', versions)).toEqual(['1.0.0', '1.2.0', '1.3.0']);
    expect(matching('1.2.5', versions)).toEqual(['1.2.5']);
  });

  it('matches a prerelease only where a clause names it exactly, as Terraform does', () => {
    expect(matching('>= 1.0, <= 2.0.0', versions)).not.toContain('2.0.0-beta.1');
    expect(matching('= 2.0.0-beta.1', versions)).toEqual(['2.0.0-beta.1']);
  });

  it("takes npm's semver ranges where no Terraform operator is used, and refuses what is neither", () => {
    expect(matching('^1.2.0', versions)).toEqual(['1.2.0', '1.2.5', '1.3.0']);
    expect(scheme.isValidRange('~> 1.2, >= 1.2.1')).toBe(true);
    expect(scheme.isValidRange('~> one')).toBe(false);
    expect(scheme.isValidRange('>= 1.0,')).toBe(false);
    expect(scheme.isValidVersion('1.2.3')).toBe(true);
    expect(scheme.isValidVersion('v1.2.3')).toBe(false);
    expect(['1.10.0', '1.9.0', '1.2.0-rc.1'].sort(scheme.compare)).toEqual(['1.2.0-rc.1', '1.9.0', '1.10.0']);
  });
});
