/**
 * The documents of a GOPROXY generated over mirrored module versions, for
 * the view and the bundle layout alike: `@v/list`, `.info` and `@latest`.
 * Walk versions that stand for a go.mod alone (`v1.2.0~go.mod`) serve
 * their go.mod only and are never listed.
 */
import { compareGoVersions, isPseudoVersion, parseGoVersion } from '../../processors/go/goSemver';
import { splitWalkVersion } from '../../processors/go/goVersionScheme';

/** A mirrored version as the GOPROXY documents need it. */
export interface GoMirroredVersion {
  /** The walk's version (`v1.2.0`, or `v1.2.0~go.mod`). */
  version: string;
  publishedAt?: string;
  /** Names of its collected files. */
  files: string[];
}

/** Versions whose go.mod and zip are mirrored, which a client may build with, ascending. */
export function buildableVersions(versions: GoMirroredVersion[]): string[] {
  return versions
    .filter(
      v =>
        !splitWalkVersion(v.version).modOnly &&
        v.files.includes(`${v.version}.zip`) &&
        v.files.includes(`${v.version}.mod`),
    )
    .map(v => v.version)
    .filter(v => parseGoVersion(v))
    .sort(compareGoVersions);
}

/** `@v/list`: the mirrored tagged versions, one a line (pseudo-versions are not listed, as upstream). */
export function goVersionList(versions: GoMirroredVersion[]): string {
  return buildableVersions(versions)
    .filter(v => !isPseudoVersion(v))
    .map(v => `${v}\n`)
    .join('');
}

/** The `.info` document of a version. */
export function goVersionInfo(version: string, publishedAt?: string): string {
  return JSON.stringify({ Version: version, ...(publishedAt ? { Time: publishedAt } : {}) });
}

/**
 * The version `@latest` answers: the highest mirrored release, else the
 * highest prerelease, else the highest pseudo-version, as the go command
 * chooses from a list.
 */
export function goLatestVersion(versions: GoMirroredVersion[]): GoMirroredVersion | undefined {
  const buildable = buildableVersions(versions);
  const tagged = buildable.filter(v => !isPseudoVersion(v));
  const releases = tagged.filter(v => parseGoVersion(v)!.prerelease.length === 0);
  let candidates = buildable;
  if (releases.length) candidates = releases;
  else if (tagged.length) candidates = tagged;
  const chosen = candidates.at(-1);
  return chosen === undefined ? undefined : versions.find(v => v.version === chosen);
}
