import { ServiceUnavailableError } from '@backstage/errors';
import { mavenVersionScheme } from '../maven/MavenVersionScheme';
import { semverScheme } from '../npm/semverScheme';
import { nugetVersionScheme } from '../nuget/nugetVersion';
import { ociVersionScheme } from '../oci/ociVersionScheme';
import { pep440VersionScheme } from '../pypi/Pep440VersionScheme';
import { VersionScheme } from '../types';

/** The version orderings and range languages an external processor may declare, by name. */
export const EXTERNAL_VERSION_SCHEMES: Record<string, VersionScheme> = {
  semver: semverScheme,
  pep440: pep440VersionScheme,
  maven: mavenVersionScheme,
  oci: ociVersionScheme,
  nuget: nugetVersionScheme,
};

/** The scheme of a name; an Error listing the known ones otherwise. */
export function versionSchemeNamed(name: unknown, field: string): VersionScheme {
  const scheme =
    typeof name === 'string' && Object.hasOwn(EXTERNAL_VERSION_SCHEMES, name)
      ? EXTERNAL_VERSION_SCHEMES[name]
      : undefined;
  if (!scheme) {
    throw new Error(
      `${field}: ${JSON.stringify(name)} is not a version scheme (known: ${Object.keys(
        EXTERNAL_VERSION_SCHEMES,
      ).join(', ')})`,
    );
  }
  return scheme;
}

/**
 * The scheme of an external processor, which its plugin declares in the
 * handshake (or the operator in config, ahead of it). Until it is known,
 * its name reads `unknown` and every other use fails with a 503 saying so:
 * no ordering is guessed.
 */
export function deferredVersionScheme(
  label: string,
  current: () => VersionScheme | undefined,
): VersionScheme {
  const scheme = () => {
    const known = current();
    if (!known) {
      throw new ServiceUnavailableError(
        `Processor ${label} has not started yet, so its version scheme is unknown; try again shortly`,
      );
    }
    return known;
  };
  return {
    get name() {
      return current()?.name ?? 'unknown';
    },
    isValidVersion: version => scheme().isValidVersion(version),
    compare: (a, b) => scheme().compare(a, b),
    isValidRange: range => scheme().isValidRange(range),
    satisfies: (version, range) => scheme().satisfies(version, range),
    pinnedVersion: range => scheme().pinnedVersion?.(range),
  };
}
