import { parseRequirement } from './requirement';

describe('parseRequirement', () => {
  it('reads names, extras, specifiers in either spelling, and markers', () => {
    expect(parseRequirement('requests')).toEqual({ name: 'requests', extras: [], specifier: '' });
    expect(parseRequirement('requests[Socks, use_chardet] (>=2.28, <3)')).toEqual({
      name: 'requests',
      extras: ['socks', 'use-chardet'],
      specifier: '>=2.28,<3',
    });
    const withMarker = parseRequirement('PySocks!=1.5.7,>=1.5.6; extra == "socks"');
    expect(withMarker.name).toBe('PySocks');
    expect(withMarker.specifier).toBe('!=1.5.7,>=1.5.6');
    expect(withMarker.marker).toEqual({
      type: 'compare',
      lhs: { kind: 'variable', name: 'extra' },
      op: '==',
      rhs: { kind: 'string', value: 'socks' },
    });
  });

  it('keeps direct URL requirements apart', () => {
    const requirement = parseRequirement(
      'pip @ https://example.com/pip-1.0.zip;x=1 ; python_version >= "3"',
    );
    expect(requirement.url).toBe('https://example.com/pip-1.0.zip;x=1');
    expect(requirement.marker).toBeDefined();
  });

  it('rejects what is not a requirement', () => {
    expect(() => parseRequirement('>=1.0')).toThrow(/project name/);
    expect(() => parseRequirement('foo >=> 1')).toThrow(/invalid version specifier/);
    expect(() => parseRequirement('foo; bogus == "1"')).toThrow(/unknown variable/);
  });
});
