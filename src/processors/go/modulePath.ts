/**
 * Go module paths: validation, the case encoding of proxy URLs and module
 * zips (`!` before a lower-cased capital), and the major-version suffix
 * (`/v2`, `gopkg.in/….v3`) that ties a path to the versions it may hold.
 */
import { parseGoVersion } from './goSemver';

const ELEMENT = /^[A-Za-z0-9\-._~]+$/;
// The first element is a host name: lower case, with a dot.
const FIRST_ELEMENT = /^[a-z0-9][a-z0-9\-.]*\.[a-z0-9\-.]*[a-z0-9]$/;
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])(\..*)?$/i;
/** Longest module path accepted; Go has no limit, real ones are far shorter. */
export const MAX_MODULE_PATH = 400;

/** Why a string is no Go module path, or undefined when it is one. */
export function modulePathProblem(path: string): string | undefined {
  if (!path) return 'is empty';
  if (path.length > MAX_MODULE_PATH) return `is longer than ${MAX_MODULE_PATH} characters`;
  const elements = path.split('/');
  if (!FIRST_ELEMENT.test(elements[0])) {
    return 'must start with a lower-case host name that contains a dot (e.g. example.com/mod)';
  }
  for (const element of elements) {
    if (!element) return 'has an empty path element';
    if (!ELEMENT.test(element)) {
      return `path element '${element}' may hold only ASCII letters, digits and - . _ ~`;
    }
    if (element.startsWith('.') || element.endsWith('.')) {
      return `path element '${element}' must not start or end with a dot`;
    }
    if (WINDOWS_RESERVED.test(element)) return `path element '${element}' is a reserved file name`;
  }
  if (!splitPathMajor(path)) return 'has an invalid major version suffix';
  return undefined;
}

/** The proxy-URL form of a module path or version: `!` and the lower case for each capital. */
export function escapeModulePath(path: string): string {
  return path.replace(/[A-Z]/g, capital => `!${capital.toLowerCase()}`);
}

/** The path a proxy-URL form names, or undefined when it is no valid encoding. */
export function unescapeModulePath(escaped: string): string | undefined {
  if (/[A-Z]/.test(escaped) || /![^a-z]|!$/.test(escaped)) return undefined;
  return escaped.replace(/!([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/**
 * A module path's prefix and its major-version suffix (`/v2`, `.v1` for
 * gopkg.in, `` for none); undefined when the suffix is malformed
 * (`/v1`, `/v01`, a gopkg.in path without one).
 */
export function splitPathMajor(path: string): { prefix: string; pathMajor: string } | undefined {
  if (path.startsWith('gopkg.in/')) {
    const match = /^(gopkg\.in\/.+)(\.v(0|[1-9][0-9]*)(-unstable)?)$/.exec(path);
    return match ? { prefix: match[1], pathMajor: match[2] } : undefined;
  }
  const match = /^(.+)(\/v[0-9]+)$/.exec(path);
  if (!match) return { prefix: path, pathMajor: '' };
  const major = match[2].slice(2);
  if (major.startsWith('0') || major === '1') return undefined;
  return { prefix: match[1], pathMajor: match[2] };
}

/**
 * Whether a (valid) version may be a version of the module path: `/vN`
 * paths hold vN.x.y only, unsuffixed paths v0, v1 and `+incompatible`
 * versions of later majors, as the go command requires.
 */
export function versionFitsPath(path: string, version: string): boolean {
  const parsed = parseGoVersion(version);
  const split = splitPathMajor(path);
  if (!parsed || !split) return false;
  const { pathMajor } = split;
  if (!pathMajor) {
    return parsed.incompatible ? parsed.major >= 2 : parsed.major <= 1;
  }
  if (parsed.incompatible) return false;
  const wanted = Number(pathMajor.replace(/^[./]v/, '').replace(/-unstable$/, ''));
  // gopkg.in's .v1 also holds v0 versions.
  return parsed.major === wanted || (pathMajor.startsWith('.') && wanted === 1 && parsed.major === 0);
}
