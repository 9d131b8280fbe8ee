import { BackpackStores } from '../../database/createBackpackStores';
import { CollectedArtifact, CollectedFile } from '../../database/ExportStore';

const MAX_LICENSE_LENGTH = 200;

/** A license value as manifests write it: a string, `{ type }`, or a list of them. */
function licenseText(value: unknown): string | undefined {
  if (typeof value === 'string') {
    const text = value.trim();
    return text && text.length <= MAX_LICENSE_LENGTH ? text : undefined;
  }
  if (Array.isArray(value)) {
    const parts = value.map(licenseText).filter((t): t is string => t !== undefined);
    if (parts.length === 0) return undefined;
    return licenseText(parts.length === 1 ? parts[0] : parts.map(p => (/\s/.test(p) ? `(${p})` : p)).join(' OR '));
  }
  if (value && typeof value === 'object' && 'type' in value) return licenseText((value as { type: unknown }).type);
  return undefined;
}

/** Reads what the SBOM needs from a version's files; see {@link licenseOfVersion}. */
export interface LicenseSources {
  /** `package.json` of an npm tarball (bounded, as the layout reads it). */
  readNpmManifest(file: CollectedFile): Promise<Record<string, unknown> | undefined>;
}

/**
 * The license a version declares, where Backpack has it: an npm tarball's
 * `package.json` (`license`, or the legacy `licenses`), Composer's
 * metadata (`license`). Undefined elsewhere and when unreadable; never
 * throws, since a license is informative.
 */
export async function licenseOfVersion(
  processor: string,
  version: CollectedArtifact['versions'][number],
  sources: LicenseSources,
): Promise<string | undefined> {
  try {
    if (processor === 'npm') {
      const tarball = version.files.find(file => file.name.endsWith('.tgz'));
      const manifest = tarball && (await sources.readNpmManifest(tarball));
      return manifest && licenseText(manifest.license ?? manifest.licenses);
    }
    if (processor === 'composer' && version.metadata) {
      return licenseText((JSON.parse(version.metadata) as { license?: unknown }).license);
    }
  } catch {
    // An unreadable manifest has no license to tell.
  }
  return undefined;
}

/**
 * The licenses the upstream declared, by version, as the last run recorded
 * them with the version's facts (npm's `license`, PyPI's
 * `License-Expression` or `License`).
 */
export async function declaredLicenses(
  stores: Pick<BackpackStores, 'admissions'>,
  artifact: { processor: string; id: string },
): Promise<Map<string, string>> {
  const licenses = new Map<string, string>();
  for (const [version, evidence] of await stores.admissions.storedFacts(artifact.processor, artifact.id)) {
    const license = licenseText(evidence.facts.license);
    if (license) licenses.set(version, license);
  }
  return licenses;
}

/**
 * The licenses of some of an artifact's versions, by version: the declared
 * one (see {@link declaredLicenses}), else what the version's files or
 * metadata say (see {@link licenseOfVersion}).
 */
export async function licensesOf(
  declared: Map<string, string>,
  artifact: CollectedArtifact,
  versions: CollectedArtifact['versions'],
  sources: LicenseSources,
): Promise<Map<string, string | undefined>> {
  const licenses = new Map<string, string | undefined>();
  for (const version of versions) {
    licenses.set(
      version.version,
      declared.get(version.version) ?? (await licenseOfVersion(artifact.processor, version, sources)),
    );
  }
  return licenses;
}
