import { CollectedArtifact, CollectedFile } from '../../database/ExportStore';
import { OCI_FILE_NAMES } from '../../processors/oci/ociClosure';
import { DIGEST } from '../../processors/oci/ociNames';

/**
 * Where a bundle puts OCI content: one OCI image layout under `oci/`, as
 * `skopeo copy oci:<dir>/oci:<ref> docker://…` reads it:
 *
 * - `oci/blobs/sha256/<hex>` — every manifest and blob, once, by digest;
 * - `oci/oci-layout` — the layout's version;
 * - `oci/index.json` — one entry per mirrored tag (and pinned digest) of
 *   every image collected up to the cut-off, annotated with
 *   `org.opencontainers.image.ref.name` = `<alias>/<path>:<tag>` (or
 *   `<alias>/<path>@<digest>`), so a delta's index replaces the last one.
 */
export const OCI_ROOT = 'oci';
export const OCI_LAYOUT_PATH = `${OCI_ROOT}/oci-layout`;
export const OCI_INDEX_PATH = `${OCI_ROOT}/index.json`;
export const OCI_LAYOUT_CONTENT = '{"imageLayoutVersion":"1.0.0"}';

/** Bundle path of a content-addressed OCI object. */
export function ociObjectPath(file: CollectedFile): string {
  if (file.integrity?.algorithm !== 'sha256') {
    throw new Error(`${file.processor}:${file.artifactId} ${file.name}: an OCI object without a sha256`);
  }
  return `${OCI_ROOT}/blobs/sha256/${file.integrity.digest.toLowerCase()}`;
}

/** A reference of the layout's index: which manifest a name points at. */
export interface OciIndexRef {
  name: string;
  file: CollectedFile;
}

/**
 * The references of one image: its collected tags (each tag's newest
 * pointer, whatever version lists it) and its pinned digests.
 */
export function ociIndexRefs(artifact: CollectedArtifact): OciIndexRef[] {
  const refs = new Map<string, CollectedFile>();
  const tagPrefix = OCI_FILE_NAMES.tag('');
  for (const version of artifact.versions) {
    for (const file of version.files) {
      let name: string | undefined;
      if (file.name.startsWith(tagPrefix)) name = `${artifact.id}:${file.name.slice(tagPrefix.length)}`;
      else if (DIGEST.test(version.version) && file.name === OCI_FILE_NAMES.manifest(version.version)) {
        name = `${artifact.id}@${version.version}`;
      }
      const earlier = name === undefined ? undefined : refs.get(name);
      if (name !== undefined && (!earlier || earlier.collectedAt < file.collectedAt)) refs.set(name, file);
    }
  }
  return [...refs.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, file]) => ({ name, file }));
}

/** One entry of `index.json`, as JSON text, from the manifest's media type and size. */
export function ociIndexEntry(ref: OciIndexRef, manifest: { mediaType: string; size: number }): string {
  return JSON.stringify({
    mediaType: manifest.mediaType,
    digest: `sha256:${ref.file.integrity!.digest.toLowerCase()}`,
    size: manifest.size,
    annotations: { 'org.opencontainers.image.ref.name': ref.name },
  });
}
