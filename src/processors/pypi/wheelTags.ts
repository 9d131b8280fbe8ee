import { parsePlatformTag, parsePythonVersion, platformAccepts, PlatformTag } from './targets';

/** The compatibility tags of a wheel, from its file name. */
export interface WheelTags {
  pythonTags: string[];
  abiTags: string[];
  platformTags: string[];
}

/**
 * Reads the tags from `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`;
 * each tag may be a `.`-separated set. Undefined when the name is not a wheel's.
 */
export function parseWheelFilename(filename: string): WheelTags | undefined {
  if (!filename.endsWith('.whl')) return undefined;
  const parts = filename.slice(0, -4).split('-');
  if (parts.length !== 5 && parts.length !== 6) return undefined;
  const [python, abi, platform] = parts.slice(-3);
  return {
    pythonTags: python.split('.'),
    abiTags: abi.split('.'),
    platformTags: platform.split('.'),
  };
}

/**
 * Whether CPython `major.minor` installs a wheel with this python and ABI tag,
 * following pip's list of supported tags: `py3` for every 3.x, `py38` for
 * 3.8 and later, `cp38-abi3` for 3.8 and later, `cp311-cp311` (and other
 * `cp311` ABIs) for 3.11 only. Other implementations (`pp`, `ip`) never.
 */
function pythonAccepts(version: number[], pythonTag: string, abiTag: string): boolean {
  const match = /^(py|cp)(\d)(\d*)$/.exec(pythonTag);
  if (!match) return false;
  const [, implementation, majorText, minorText] = match;
  if (Number(majorText) !== version[0]) return false;
  if (minorText === '') return true;
  const minor = Number(minorText);
  if (implementation === 'py' || abiTag === 'abi3') return minor <= version[1];
  return minor === version[1];
}

/** The wheel-selection targets of an artifact; undefined means "any". */
export interface WheelTargets {
  pythonVersions?: string[];
  platforms?: string[];
}

/** Compiles targets into a predicate over wheel tags. */
export function wheelMatcher(targets: WheelTargets): (wheel: WheelTags) => boolean {
  const versions = targets.pythonVersions?.map(parsePythonVersion);
  const platforms: PlatformTag[] | undefined = targets.platforms?.map(parsePlatformTag);
  return wheel => {
    const pythonOk = (pythonTag: string, abiTag: string) =>
      !versions || versions.some(version => pythonAccepts(version, pythonTag, abiTag));
    const platformOk = (platformTag: string) => {
      if (!platforms) return true;
      const parsed = parsePlatformTag(platformTag);
      return platforms.some(target => platformAccepts(target, parsed));
    };
    return (
      wheel.pythonTags.some(py => wheel.abiTags.some(abi => pythonOk(py, abi))) &&
      wheel.platformTags.some(platformOk)
    );
  };
}
