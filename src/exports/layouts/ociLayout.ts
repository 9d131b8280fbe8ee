import { summarizeManifest } from '../../views/oci/ociStoredManifest';
import {
  OCI_INDEX_PATH,
  OCI_LAYOUT_CONTENT,
  OCI_LAYOUT_PATH,
  OCI_ROOT,
  ociIndexEntry,
  ociIndexRefs,
  ociObjectPath,
} from '../metadata/staticOci';
import { EcosystemLayout } from './EcosystemLayout';

/** Largest manifest read for its media type. */
const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

/**
 * OCI: one image layout under `oci/` (see `metadata/staticOci.ts`): every
 * object once by digest, and an `index.json` naming every mirrored tag of
 * every image collected up to the cut-off.
 */
export const ociLayout: EcosystemLayout = {
  processor: OCI_ROOT,
  pathOf: file => ociObjectPath(file),
  indexesOf: context => {
    // Both passes (measure, write) must produce the same text: the media
    // types read in the first are kept for the second.
    const manifests = new Map<string, { mediaType: string; size: number }>();
    return [
      {
        path: OCI_LAYOUT_PATH,
        async *chunks() {
          yield OCI_LAYOUT_CONTENT;
        },
      },
      {
        path: OCI_INDEX_PATH,
        async *chunks() {
          yield '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[';
          let first = true;
          for await (const id of context.listArtifactIds(OCI_ROOT)) {
            const artifact = await context.collectedArtifact(OCI_ROOT, id);
            for (const ref of artifact ? ociIndexRefs(artifact) : []) {
              let manifest = manifests.get(ref.file.storageKey);
              if (!manifest) {
                const bytes = await context.readSmallFile(ref.file, MAX_MANIFEST_BYTES);
                if (!bytes) throw new Error(`${id}: manifest ${ref.file.name} is missing from the blob store`);
                manifest = { mediaType: summarizeManifest(bytes).mediaType, size: bytes.length };
                manifests.set(ref.file.storageKey, manifest);
              }
              yield `${first ? '' : ','}${ociIndexEntry(ref, manifest)}`;
              first = false;
            }
          }
          yield ']}';
        },
      },
    ];
  },
};
