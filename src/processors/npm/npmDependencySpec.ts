import { semverScheme } from './semverScheme';

/**
 * Kinds of dependency specs that name something other than a registry
 * package, named as npm-package-arg names them (plus the protocols of other
 * package managers that npm itself rejects).
 *
 * @public
 */
export type NpmUnsupportedSpecType =
  | 'git'
  | 'remote'
  | 'file'
  | 'directory'
  | 'link'
  | 'workspace'
  | 'alias'
  | 'invalid';

/**
 * A dependency spec of a package.json, classified.
 *
 * - `registry`: a package from the registry, with a range, an exact version
 *   or a dist-tag name; npm aliases (`npm:real-name@^1`) resolve to the real
 *   name and keep the declared name in `alias`.
 * - `unsupported`: anything a registry mirror cannot follow (git, tarball
 *   URLs, local paths, workspace and link protocols, malformed specs).
 *
 * @public
 */
export type NpmDependencySpec =
  | {
      type: 'registry';
      /** The package to fetch (the real name for aliases). */
      name: string;
      /** A semver range (`''` and `*` mean any) or a dist-tag name. */
      range: string;
      rangeType: 'version' | 'range' | 'tag';
      /** The name the dependency was declared under, for aliases. */
      alias?: string;
    }
  | {
      type: 'unsupported';
      name: string;
      spec: string;
      specType: NpmUnsupportedSpecType;
      /** Human-readable, e.g. `unsupported spec: git`. */
      reason: string;
    };

const GIT_PROTOCOLS = new Set([
  'git',
  'git+ssh',
  'git+http',
  'git+https',
  'git+file',
  'ssh',
  'github',
  'gitlab',
  'bitbucket',
  'gist',
  'sourcehut',
]);

const GIT_HOSTS = new Set(['github.com', 'gitlab.com', 'bitbucket.org', 'gist.github.com']);

// npm-package-arg's patterns (posix flavour).
const SCP_LIKE_GIT = /^[^@]+@[^:.]+\.[^:]+:.+$/i;
const FILE_PATH = /^(?:[.]|~[/]|[/]|[a-zA-Z]:)/;
const TARBALL_FILE = /[.](?:tgz|tar\.gz|tar)$/i;
const PROTOCOL = /^([a-zA-Z][a-zA-Z0-9+.-]*):/;

/** Registry names: optionally scoped, no whitespace, no further slashes. */
const PACKAGE_NAME = /^(?:@[^\s/@]+\/)?[^\s/@]+$/;

/**
 * Whether a name is shaped like an npm package name. Legacy names with
 * capitals (`JSONStream`) exist, so this checks shape, not today's rules;
 * but like npm for old and new names alike, the scope and the name must be
 * URL-safe (`encodeURIComponent` leaves them as they are), which refuses
 * backslashes, control characters and anything that could act as a path.
 *
 * @public
 */
export function isNpmPackageName(name: string): boolean {
  if (!PACKAGE_NAME.test(name) || name.startsWith('.') || name.startsWith('_')) return false;
  const parts = name.startsWith('@') ? name.slice(1).split('/') : [name];
  return parts.every(part => encodeURIComponent(part) === part && part !== '..' && part !== '.');
}

/** hosted-git-info's test for `user/repo` shorthand. */
function isGitHubShorthand(spec: string): boolean {
  const firstHash = spec.indexOf('#');
  const beforeHash = firstHash === -1 ? spec : spec.slice(0, firstHash);
  const firstSlash = beforeHash.indexOf('/');
  return (
    firstSlash > 0 &&
    beforeHash.indexOf('/', firstSlash + 1) === -1 &&
    !beforeHash.endsWith('/') &&
    !/[\s:@]/.test(beforeHash) &&
    !spec.startsWith('.')
  );
}

function unsupported(
  name: string,
  spec: string,
  specType: NpmUnsupportedSpecType,
  detail?: string,
): NpmDependencySpec {
  const reason =
    specType === 'invalid'
      ? `invalid spec '${spec}'${detail ? `: ${detail}` : ''}`
      : `unsupported spec: ${specType}${detail ? ` (${detail})` : ''}`;
  return { type: 'unsupported', name, spec, specType, reason };
}

function fromUrl(name: string, spec: string, protocol: string): NpmDependencySpec {
  if (GIT_PROTOCOLS.has(protocol)) return unsupported(name, spec, 'git');
  if (protocol === 'http' || protocol === 'https') {
    // hosted-git-info reads `https://github.com/user/repo` as a git repository.
    try {
      const url = new URL(spec);
      const segments = url.pathname.split('/').filter(Boolean);
      if (GIT_HOSTS.has(url.hostname) && segments.length === 2) {
        return unsupported(name, spec, 'git');
      }
    } catch {
      return unsupported(name, spec, 'invalid', 'malformed URL');
    }
    return unsupported(name, spec, 'remote');
  }
  if (protocol === 'file') {
    return unsupported(name, spec, TARBALL_FILE.test(spec) ? 'file' : 'directory');
  }
  if (protocol === 'link' || protocol === 'portal') return unsupported(name, spec, 'link');
  if (protocol === 'workspace') return unsupported(name, spec, 'workspace');
  return unsupported(name, spec, 'invalid', `unknown protocol '${protocol}:'`);
}

// Parsing a version throws and catches for every non-version, which is slow
// across the tens of thousands of specs in a closure; most specs are ranges
// like `^1.2.3` that cannot be versions, so test the shape first.
const MAYBE_VERSION = /^[v=\s]*\d+\.\d+\.\d+/;

function fromRegistry(name: string, spec: string): NpmDependencySpec {
  // The scheme caches parses, and the resolver tests the same ranges later.
  if (MAYBE_VERSION.test(spec) && semverScheme.isValidVersion(spec)) {
    return { type: 'registry', name, range: spec, rangeType: 'version' };
  }
  if (semverScheme.isValidRange(spec)) {
    return { type: 'registry', name, range: spec, rangeType: 'range' };
  }
  // Anything else must be a dist-tag; npm refuses tags that need escaping.
  if (encodeURIComponent(spec) === spec) {
    return { type: 'registry', name, range: spec, rangeType: 'tag' };
  }
  return unsupported(name, spec, 'invalid', 'neither a semver range nor a dist-tag');
}

function fromAlias(name: string, spec: string): NpmDependencySpec {
  const target = spec.slice('npm:'.length).trim();
  // The version separator is the first '@' after the (possibly scoped) name.
  const at = target.indexOf('@', target.startsWith('@') ? 1 : 0);
  const realName = at === -1 ? target : target.slice(0, at);
  const realSpec = at === -1 ? '' : target.slice(at + 1).trim();
  if (!isNpmPackageName(realName)) {
    return unsupported(name, spec, 'invalid', `bad alias target '${realName}'`);
  }
  const inner = parseNpmDependencySpec(realName, realSpec);
  if (inner.type !== 'registry') {
    // npm only allows aliases of registry packages (no nested aliases).
    return unsupported(name, spec, 'alias', `target is not a registry package: ${inner.reason}`);
  }
  return { ...inner, alias: name };
}

/**
 * Classifies a dependency spec (`"dependencies": { name: spec }`) the way
 * npm-package-arg does, without touching the network or the file system.
 * Never throws: specs a mirror cannot follow come back as `unsupported`
 * with a reason.
 *
 * @public
 */
export function parseNpmDependencySpec(name: string, rawSpec: string): NpmDependencySpec {
  const spec = (rawSpec ?? '').trim();
  if (spec.startsWith('npm:')) return fromAlias(name, spec);

  const protocol = PROTOCOL.exec(spec)?.[1]?.toLowerCase();
  // A one-letter "protocol" is a Windows drive (`C:\dir`), i.e. a path.
  if (protocol && protocol.length > 1) return fromUrl(name, spec, protocol);
  if (SCP_LIKE_GIT.test(spec)) return unsupported(name, spec, 'git');
  const fileType = TARBALL_FILE.test(spec) ? 'file' : 'directory';
  // `./x`, `~/x` and `/x` are paths even where they look like `user/repo`.
  if (FILE_PATH.test(spec)) return unsupported(name, spec, fileType);
  if (isGitHubShorthand(spec)) return unsupported(name, spec, 'git');
  if (spec.includes('/') || TARBALL_FILE.test(spec)) return unsupported(name, spec, fileType);
  return fromRegistry(name, spec);
}
