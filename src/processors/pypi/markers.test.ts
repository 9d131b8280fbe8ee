import { evaluateMarker, parseMarker } from './markers';
import { markerEnvironment } from './targets';

const linux311 = markerEnvironment('3.11', 'manylinux_2_17_x86_64', '');
const windows38 = markerEnvironment('3.8', 'win_amd64', '');
const mac312 = markerEnvironment('3.12', 'macosx_11_0_arm64', 'socks');

const holds = (marker: string, environment = linux311) =>
  evaluateMarker(parseMarker(marker), environment);

describe('PEP 508 markers', () => {
  it('compares versions as versions and other values as strings', () => {
    expect(holds('python_version < "3.8"')).toBe(false);
    expect(holds('python_version < "3.8"', windows38)).toBe(false);
    expect(holds('python_version <= "3.8"', windows38)).toBe(true);
    // 3.11 > 3.9 as versions, though not as strings
    expect(holds('python_version > "3.9"')).toBe(true);
    expect(holds('"3.8" <= python_version')).toBe(true);
    expect(holds('sys_platform == "win32"')).toBe(false);
    expect(holds('sys_platform == "win32"', windows38)).toBe(true);
    expect(holds("platform_system == 'Windows'", windows38)).toBe(true);
    expect(holds('os_name == "nt"', windows38)).toBe(true);
    expect(holds('platform_machine == "AMD64"', windows38)).toBe(true);
    expect(holds('platform_machine == "x86_64"')).toBe(true);
    expect(holds('platform_machine == "arm64"', mac312)).toBe(true);
    expect(holds('sys_platform == "darwin"', mac312)).toBe(true);
    expect(holds('implementation_name == "cpython"')).toBe(true);
    expect(holds('platform_python_implementation != "PyPy"')).toBe(true);
    expect(holds('"linux" in sys_platform')).toBe(true);
    expect(holds('"win" not in sys_platform')).toBe(true);
  });

  it('treats a minor Python version as every patch release of it', () => {
    expect(holds('python_full_version >= "3.11.3"')).toBe(true);
    expect(holds('python_full_version < "3.11.3"')).toBe(true);
    expect(holds('python_full_version == "3.11.4"')).toBe(true);
    expect(holds('python_full_version == "3.10.4"')).toBe(false);
    const exact = markerEnvironment('3.11.2', 'manylinux_2_17_x86_64', '');
    expect(holds('python_full_version >= "3.11.3"', exact)).toBe(false);
  });

  it('handles and/or precedence, parentheses and legacy names', () => {
    expect(holds('sys_platform == "win32" or python_version >= "3.10" and os_name == "posix"')).toBe(
      true,
    );
    expect(holds('(sys_platform == "win32" or python_version >= "3.10") and os_name == "nt"')).toBe(
      false,
    );
    expect(holds('os.name == "posix" and sys.platform == "linux"')).toBe(true);
  });

  it('matches extras in their normal form, and unknown variables always', () => {
    expect(holds('extra == "socks"')).toBe(false);
    expect(holds('extra == "socks"', mac312)).toBe(true);
    expect(holds('extra == "SOCKS"', mac312)).toBe(true);
    expect(holds('extra == "use_chardet"', markerEnvironment('3.11', 'win32', 'use-chardet'))).toBe(
      true,
    );
    // Backpack cannot know the kernel release of a target; it errs towards including.
    expect(holds('platform_release >= "6"')).toBe(true);
  });

  it('rejects malformed markers', () => {
    expect(() => parseMarker('python_version <')).toThrow();
    expect(() => parseMarker('foo == "1"')).toThrow(/unknown variable 'foo'/);
    expect(() => parseMarker('(python_version == "3.8"')).toThrow(/expected '\)'/);
    expect(() => parseMarker('python_version == "3.8" xor')).toThrow(/trailing/);
  });
});
