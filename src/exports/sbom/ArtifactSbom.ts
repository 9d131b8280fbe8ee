import { BackpackStores } from '../../database/createBackpackStores';
import { CollectedArtifact } from '../../database/ExportStore';
import { BlobStore } from '../../storage/BlobStore';
import { Artifact } from '../../types';
import { readNpmTarballManifest } from '../../views/metadata/npmTarballManifest';
import { bundlePathOf } from '../BundleLayout';
import { declaredLicenses, licensesOf } from './licenses';
import { componentRef, SbomDocument } from './SbomDocument';

/** Versions one SBOM lists at most; a closure beyond it is refused rather than cut short. */
export const MAX_SBOM_COMPONENTS = 50_000;

/** Options of {@link ArtifactSbom}. */
export interface ArtifactSbomOptions {
  stores: Pick<BackpackStores, 'exports' | 'artifacts' | 'admissions'>;
  blobStore: BlobStore;
  maxComponents?: number;
}

/**
 * The SBOM of one root artifact's mirrored closure: every collected version
 * of the root, and, following the versions each dependency resolved to,
 * every collected version it reaches among the artifacts the caller may
 * read. Files are named by their path in a bundle, so it matches what a
 * bundle's `sbom.cdx.json` says of the same versions.
 */
export class ArtifactSbom {
  constructor(private readonly options: ArtifactSbomOptions) {}

  async of(
    root: { processor: string; id: string },
    canRead: (artifact: Artifact) => boolean,
  ): Promise<string> {
    const { stores, blobStore } = this.options;
    const max = this.options.maxComponents ?? MAX_SBOM_COMPONENTS;
    const until = new Date().toISOString();
    const sbom = new SbomDocument({ timestamp: new Date(until), name: `${root.processor}:${root.id}` });
    const readNpmManifest = async (file: { storageKey: string }) => {
      const blob = await blobStore.get(file.storageKey);
      return blob ? readNpmTarballManifest(blob.body) : undefined;
    };

    // Artifacts by `processor:id`: loaded once; undefined when not readable or nothing is collected.
    const artifacts = new Map<string, CollectedArtifact | undefined>();
    const load = async (processor: string, id: string) => {
      const key = `${processor}:${id}`;
      if (!artifacts.has(key)) {
        const stored = await stores.artifacts.getArtifact(processor, id);
        const readable = stored && canRead(stored);
        artifacts.set(key, readable ? await stores.exports.getCollectedArtifact({ processor, id }, until) : undefined);
      }
      return artifacts.get(key);
    };

    // Licenses the runs recorded, by artifact: read once each.
    const declared = new Map<string, Map<string, string>>();
    const start = await load(root.processor, root.id);
    const queue: Array<{ artifact: CollectedArtifact; version: CollectedArtifact['versions'][number] }> =
      start?.versions.map(version => ({ artifact: start, version })) ?? [];
    const seen = new Set(queue.map(({ artifact, version }) => componentRef(artifact.processor, artifact.id, version.version)));
    while (queue.length > 0) {
      const { artifact, version } = queue.shift()!;
      if (sbom.size >= max) {
        throw new Error(`The closure of ${root.processor}:${root.id} has more than ${max} versions, more than an SBOM lists`);
      }
      const { processor, id } = artifact;
      const declaredKey = `${processor}:${id}`;
      if (!declared.has(declaredKey)) declared.set(declaredKey, await declaredLicenses(stores, artifact));
      const licenses = await licensesOf(declared.get(declaredKey)!, artifact, [version], { readNpmManifest });
      sbom.add({
        processor,
        id,
        version: version.version,
        dependencies: version.dependencies,
        files: version.files.map(file => ({ path: bundlePathOf(file), sha256: file.sha256, integrity: file.integrity })),
        license: licenses.get(version.version),
      });
      for (const dependency of version.dependencies) {
        for (const resolved of dependency.resolved) {
          const ref = componentRef(dependency.processor, dependency.id, resolved);
          if (seen.has(ref)) continue;
          seen.add(ref);
          const target = await load(dependency.processor, dependency.id);
          const collected = target?.versions.find(v => v.version === resolved);
          if (target && collected) queue.push({ artifact: target, version: collected });
        }
      }
    }
    return sbom.toJson();
  }
}
