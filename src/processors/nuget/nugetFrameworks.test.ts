import { nearestGroup, parseTargetFramework } from './nugetFrameworks';

const groups = (...names: Array<string | undefined>) => names.map(parseTargetFramework);

describe('target frameworks', () => {
  it('parses short and long names', () => {
    expect(parseTargetFramework('net8.0')).toEqual({ family: 'netcore', version: [8, 0] });
    expect(parseTargetFramework('net8.0-windows')).toEqual({ family: 'netcore', version: [8, 0] });
    expect(parseTargetFramework('.NETCoreApp3.1')).toEqual({ family: 'netcore', version: [3, 1] });
    expect(parseTargetFramework('net472')).toEqual({ family: 'netframework', version: [4, 7, 2] });
    expect(parseTargetFramework('.NETFramework4.6.1')).toEqual({ family: 'netframework', version: [4, 6, 1] });
    expect(parseTargetFramework('.NETStandard2.0')).toEqual({ family: 'netstandard', version: [2, 0] });
    expect(parseTargetFramework('')).toEqual({ family: 'any', version: [] });
    expect(parseTargetFramework('uap10.0')).toBeUndefined();
  });

  it('picks the nearest group as NuGet does', () => {
    const g = groups('.NETFramework4.6.1', '.NETStandard2.0', 'net6.0', '');
    expect(nearestGroup(parseTargetFramework('net8.0')!, g)).toBe(2);
    expect(nearestGroup(parseTargetFramework('netcoreapp3.1')!, g)).toBe(1);
    expect(nearestGroup(parseTargetFramework('net48')!, g)).toBe(0);
    expect(nearestGroup(parseTargetFramework('net45')!, g)).toBe(3);
    expect(nearestGroup(parseTargetFramework('netstandard2.1')!, groups('.NETStandard1.3', '.NETStandard2.0'))).toBe(1);
    expect(nearestGroup(parseTargetFramework('net48')!, groups('net6.0'))).toBe(-1);
  });
});
