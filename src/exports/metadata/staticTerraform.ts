/**
 * Terraform providers as static files under `terraform/` of a bundle, in
 * the provider network mirror protocol's layout:
 * `terraform/<hostname>/<namespace>/<type>/index.json`, `<version>.json`
 * and the packages beside them. Served by any web server it is a
 * `network_mirror`; unpacked, the same directory is a `filesystem_mirror`
 * in the packed layout (Terraform skips the files that are not packages).
 */
import { CollectedArtifact, CollectedFile } from '../../database/ExportStore';
import { RangeReader } from '../../lib/zipEntry';
import { parseProviderAddress, platformOfPackage } from '../../processors/terraform/terraformNames';
import { terraformVersionScheme } from '../../processors/terraform/terraformVersion';
import {
  MirrorArchive,
  providerArchiveHashes,
  terraformVersionDocument,
  terraformVersionIndex,
} from '../../views/metadata/terraformMirror';

/** The bundle directory of Terraform providers, also the processor's name. */
export const TERRAFORM_ROOT = 'terraform';

/** Where a collected file sits: beside its provider's documents. */
export function terraformFilePath(id: string, name: string): string {
  return `${TERRAFORM_ROOT}/${id}/${name}`;
}

/**
 * The network mirror documents of one provider: `index.json` of the
 * versions the bundle holds a package of, and each version's document with
 * its packages' hashes, `h1:` worked out from the stored zip.
 */
export async function bundleTerraformDocuments(
  artifact: CollectedArtifact,
  reader: (file: CollectedFile) => RangeReader,
): Promise<Array<{ path: string; content: string }>> {
  const address = parseProviderAddress(artifact.id);
  if (!address) return [];
  const documents: Array<{ path: string; content: string }> = [];
  const versions: string[] = [];
  const sorted = [...artifact.versions].sort((a, b) => terraformVersionScheme.compare(a.version, b.version));
  for (const { version, files } of sorted) {
    const archives: MirrorArchive[] = [];
    for (const file of files) {
      const platform = platformOfPackage(address.type, version, file.name);
      if (!platform) continue;
      // Sizes are recorded at collection; without one there is no h1:.
      archives.push({ platform, url: file.name, hashes: await providerArchiveHashes(file, reader(file), file.size) });
    }
    if (archives.length === 0) continue;
    versions.push(version);
    documents.push({ path: terraformFilePath(artifact.id, `${version}.json`), content: terraformVersionDocument(archives) });
  }
  if (versions.length > 0) {
    documents.push({ path: terraformFilePath(artifact.id, 'index.json'), content: terraformVersionIndex(versions) });
  }
  return documents;
}
