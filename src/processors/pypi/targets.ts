import { MarkerEnvironment } from './markers';

/**
 * Python versions assumed when neither the artifact nor the app config names
 * any: the CPython releases with upstream support or recently out of it.
 * They decide which `Requires-Dist` markers hold; files are not filtered by
 * them.
 */
export const DEFAULT_PYTHON_VERSIONS: readonly string[] = [
  '3.8',
  '3.9',
  '3.10',
  '3.11',
  '3.12',
  '3.13',
];

/**
 * Platforms assumed when none are configured: Linux (glibc), Windows and
 * macOS, each on x86_64 and arm64. Like {@link DEFAULT_PYTHON_VERSIONS} they
 * decide markers only.
 */
export const DEFAULT_PLATFORMS: readonly string[] = [
  'manylinux_2_17_x86_64',
  'manylinux_2_17_aarch64',
  'win_amd64',
  'win_arm64',
  'macosx_10_12_x86_64',
  'macosx_11_0_arm64',
];

/** A wheel platform tag, taken apart. */
export interface PlatformTag {
  tag: string;
  os: 'linux' | 'windows' | 'macos' | 'any' | 'unknown';
  /** Linux C library; `any` for the plain `linux_<arch>` tag. */
  libc?: 'glibc' | 'musl' | 'any';
  /** glibc or musl version for Linux, OS version for macOS. */
  version?: [number, number];
  /** Machine architectures, in `uname -m` spelling. */
  arches: string[];
}

/** Legacy manylinux names and the glibc versions they stand for (PEP 600). */
const LEGACY_MANYLINUX: Record<string, [number, number]> = {
  manylinux1: [2, 5],
  manylinux2010: [2, 12],
  manylinux2014: [2, 17],
};

/** macOS multi-architecture names (as in `packaging.tags`). */
const MACOS_ARCH_GROUPS: Record<string, string[]> = {
  universal2: ['arm64', 'x86_64'],
  intel: ['x86_64', 'i386'],
  fat64: ['x86_64', 'ppc64'],
  fat32: ['i386', 'ppc'],
  fat3: ['x86_64', 'i386', 'ppc'],
  universal: ['x86_64', 'i386', 'ppc64', 'ppc'],
};

const WINDOWS_ARCHES: Record<string, string> = {
  win_amd64: 'x86_64',
  win32: 'x86',
  win_arm64: 'arm64',
};

/** Takes a wheel platform tag apart; unknown tags only match themselves. */
export function parsePlatformTag(tag: string): PlatformTag {
  if (tag === 'any') return { tag, os: 'any', arches: [] };
  let match = /^manylinux_(\d+)_(\d+)_(.+)$/.exec(tag);
  if (match) {
    return { tag, os: 'linux', libc: 'glibc', version: [+match[1], +match[2]], arches: [match[3]] };
  }
  match = /^(manylinux1|manylinux2010|manylinux2014)_(.+)$/.exec(tag);
  if (match) {
    return { tag, os: 'linux', libc: 'glibc', version: LEGACY_MANYLINUX[match[1]], arches: [match[2]] };
  }
  match = /^musllinux_(\d+)_(\d+)_(.+)$/.exec(tag);
  if (match) {
    return { tag, os: 'linux', libc: 'musl', version: [+match[1], +match[2]], arches: [match[3]] };
  }
  match = /^linux_(.+)$/.exec(tag);
  if (match) return { tag, os: 'linux', libc: 'any', arches: [match[1]] };
  match = /^macosx_(\d+)_(\d+)_(.+)$/.exec(tag);
  if (match) {
    return {
      tag,
      os: 'macos',
      version: [+match[1], +match[2]],
      arches: MACOS_ARCH_GROUPS[match[3]] ?? [match[3]],
    };
  }
  if (WINDOWS_ARCHES[tag]) return { tag, os: 'windows', arches: [WINDOWS_ARCHES[tag]] };
  return { tag, os: 'unknown', arches: [] };
}

const atMost = (a: [number, number], b: [number, number]) =>
  a[0] < b[0] || (a[0] === b[0] && a[1] <= b[1]);

/**
 * Whether an installer on the target platform accepts a wheel built for
 * `wheel`: same OS and architecture, and a glibc, musl or macOS version no
 * newer than the target's. A `linux_<arch>` target accepts every Linux wheel
 * of that architecture.
 */
export function platformAccepts(target: PlatformTag, wheel: PlatformTag): boolean {
  if (wheel.os === 'any') return true;
  if (wheel.os === 'unknown' || target.os === 'unknown') return wheel.tag === target.tag;
  if (wheel.os !== target.os) return false;
  if (!wheel.arches.some(arch => target.arches.includes(arch))) return false;
  if (wheel.os === 'linux' && wheel.libc !== 'any' && target.libc !== 'any') {
    if (wheel.libc !== target.libc) return false;
  }
  if (wheel.version && target.version && wheel.libc === target.libc) {
    return atMost(wheel.version, target.version);
  }
  return true;
}

/** Parses `3.11` or `3.11.4` into numbers. */
export function parsePythonVersion(version: string): number[] {
  return version.split('.').map(part => Number(part));
}

function machineValues(platform: PlatformTag): string[] | undefined {
  if (platform.os === 'windows') {
    // Windows reports its machine in upper case, and 32-bit x86 as `x86`.
    const names: Record<string, string> = { x86_64: 'AMD64', arm64: 'ARM64' };
    return platform.arches.map(arch => names[arch] ?? arch);
  }
  if (platform.os === 'linux' || platform.os === 'macos') return platform.arches;
  return undefined;
}

const OS_VALUES: Record<string, { sys_platform: string; platform_system: string; os_name: string }> = {
  linux: { sys_platform: 'linux', platform_system: 'Linux', os_name: 'posix' },
  windows: { sys_platform: 'win32', platform_system: 'Windows', os_name: 'nt' },
  macos: { sys_platform: 'darwin', platform_system: 'Darwin', os_name: 'posix' },
};

/**
 * The marker environment of CPython `pythonVersion` on `platform`. A bare
 * `3.11` stands for every `3.11.x` (`python_full_version` is `3.11.*`);
 * variables Backpack cannot know
 * (`platform_release`, `platform_version`) are left out and so match anything.
 */
export function markerEnvironment(
  pythonVersion: string,
  platform: string,
  extra: string,
): MarkerEnvironment {
  const [major, minor, patch] = parsePythonVersion(pythonVersion);
  const fullVersions = [patch !== undefined ? pythonVersion : `${major}.${minor}.*`];
  const environment: MarkerEnvironment = {
    python_version: [`${major}.${minor}`],
    python_full_version: fullVersions,
    implementation_name: ['cpython'],
    implementation_version: fullVersions,
    platform_python_implementation: ['CPython'],
    extra: [extra],
  };
  const parsed = parsePlatformTag(platform);
  const os = OS_VALUES[parsed.os];
  if (os) {
    environment.sys_platform = [os.sys_platform];
    environment.platform_system = [os.platform_system];
    environment.os_name = [os.os_name];
  }
  const machines = machineValues(parsed);
  if (machines) environment.platform_machine = machines;
  return environment;
}
