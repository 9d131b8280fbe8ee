import { InputError } from '@backstage/errors';

/**
 * Names of the OCI distribution spec: repository path components, tags and
 * digests. Everything an upstream or a caller sends passes these before it
 * becomes part of a URL, an id, a version or a file name.
 */

/** One path component of a repository name (distribution spec). */
const COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
/** A tag (distribution spec): at most 128 characters. */
export const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
/** A sha256 digest, the only algorithm Backpack accepts (and every registry uses). */
export const DIGEST = /^sha256:[0-9a-f]{64}$/;
/** Tags of the cosign tag scheme, which name referrers of a digest. */
export const REFERRER_TAG = /^sha256-([0-9a-f]{64})\.(sig|att|sbom)$/;

/** Longest repository name (`<alias>/<path>`) accepted, as distribution limits it. */
const MAX_NAME = 255;

/** Whether `value` is one repository path component. */
export function isNameComponent(value: string): boolean {
  return COMPONENT.test(value);
}

/** Whether `value` is a repository path: components separated by `/`. */
export function isRepositoryPath(value: string): boolean {
  return value.length > 0 && value.length <= MAX_NAME && value.split('/').every(isNameComponent);
}

/** The hex of a `sha256:<hex>` digest. */
export function digestHex(digest: string): string {
  return digest.slice('sha256:'.length);
}

/** Where an artifact id points: a registry alias and the repository within it. */
export interface OciName {
  alias: string;
  /** The repository path within the registry (without its namespace prefix). */
  path: string;
}

/**
 * Reads an artifact id, `<alias>/<path>`, normalising Docker Hub names as
 * docker does (`nginx` → `docker.io/library/nginx`, `user/app` →
 * `docker.io/user/app`, `index.docker.io/…` → `docker.io/…`). The first
 * component is the registry when it is a configured alias; a first
 * component that looks like a host (a `.`, a `:` or `localhost`) but names
 * no alias is refused, as is a tag or digest in the id (they belong in the
 * filter). Throws an InputError naming `id`.
 */
export function parseOciId(id: string, aliases: ReadonlySet<string>): OciName {
  const refuse = (why: string) => new InputError(`id: '${id}' is not a valid image name: ${why}`);
  if (/[@]/.test(id) || /:[^/]*$/.test(id.slice(id.lastIndexOf('/') + 1))) {
    throw refuse('a tag or digest goes into the filter, not the id');
  }
  const slash = id.indexOf('/');
  const first = slash === -1 ? id : id.slice(0, slash);
  let alias: string;
  let path: string;
  if (aliases.has(first) && slash !== -1) {
    alias = first;
    path = id.slice(slash + 1);
  } else if (first === 'index.docker.io' && slash !== -1 && aliases.has('docker.io')) {
    alias = 'docker.io';
    path = id.slice(slash + 1);
  } else if (/[.:]/.test(first) || first === 'localhost') {
    throw refuse(`'${first}' is not a configured registry (backpack.processors.oci.registries)`);
  } else if (aliases.has('docker.io')) {
    alias = 'docker.io';
    path = id;
  } else {
    throw refuse('it names no configured registry (backpack.processors.oci.registries)');
  }
  if (alias === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  if (!isRepositoryPath(path) || `${alias}/${path}`.length > MAX_NAME) {
    throw refuse(
      `'${path}' is not a repository path (lower-case components of letters, digits and single separators . _ __ -, joined by /, at most ${MAX_NAME} characters)`,
    );
  }
  return { alias, path };
}
