import { ProcessorFile } from '../types';
import { Descriptor, FetchedManifest, isForeignLayer } from './ociManifest';
import { digestHex } from './ociNames';
import { OciRepository } from './OciRepository';

/**
 * The closure of one image (or any OCI artifact) as files: every manifest
 * reachable from its root (an index's platform manifests, as far as
 * `platforms` lets them in), every config and layer blob, and, with
 * `referrers`, the manifests that refer to any of them (signatures, SBOMs,
 * attestations) with their own closures. Every object is a
 * content-addressed file: named by kind and digest, stored once by digest.
 */

/** File names: `manifest:<digest>`, `blob:<digest>`, `tag:<tag>` (a tag's manifest). */
export const OCI_FILE_NAMES = {
  manifest: (digest: string) => `manifest:${digest}`,
  blob: (digest: string) => `blob:${digest}`,
  tag: (tag: string) => `tag:${tag}`,
};

/** Referrers of referrers followed (a signature of an SBOM), no deeper. */
const MAX_REFERRER_DEPTH = 2;
/** Indexes nested in indexes followed. */
const MAX_INDEX_DEPTH = 4;

const ATTESTATION = 'attestation-manifest';

/** How deep a walk is: indexes within indexes, referrers of referrers. */
interface Depth {
  index: number;
  referrer: number;
}

/** What a closure walk needs. */
export interface ClosureOptions {
  repository: OciRepository;
  /** `os/arch[/variant]`; undefined: every platform. */
  platforms?: string[];
  referrers: boolean;
  includeForeignLayers: boolean;
  maxObjects: number;
  /** Referrers by the cosign tag scheme: tags `sha256-<hex>.sig|.att|.sbom` by subject hex. */
  referrerTags: Map<string, string[]>;
  /** Fetches (and checks) a manifest by digest or tag; a cache may stand in. */
  fetchManifest(reference: string): Promise<FetchedManifest>;
  /** Referrers of a digest by the referrers API; undefined when the registry has none. */
  fetchReferrers(digest: string): Promise<Descriptor[] | undefined>;
}

function matchesPlatform(descriptor: Descriptor, platforms: string[]): boolean {
  const p = descriptor.platform;
  if (!p) return true;
  return platforms.some(wanted => {
    const [os, architecture, variant] = wanted.split('/');
    return p.os === os && p.architecture === architecture && (!variant || p.variant === variant);
  });
}

/** The manifests of an index that the platforms let in; attestations follow what they attest. */
function keptChildren(manifests: Descriptor[], options: ClosureOptions): Descriptor[] {
  if (!options.platforms) return manifests;
  const attestation = (d: Descriptor) => d.annotations?.['vnd.docker.reference.type'] === ATTESTATION;
  const kept = manifests.filter(d => !attestation(d) && matchesPlatform(d, options.platforms!));
  const keptDigests = new Set(kept.map(d => d.digest));
  const attestations = manifests.filter(
    d => attestation(d) && options.referrers && keptDigests.has(d.annotations?.['vnd.docker.reference.digest'] ?? ''),
  );
  return [...kept, ...attestations];
}

/** The files of the closure of `root` (a manifest digest, or one already fetched). */
export async function closureFiles(root: FetchedManifest | string, options: ClosureOptions): Promise<ProcessorFile[]> {
  const { repository } = options;
  const files = new Map<string, ProcessorFile>();
  const objects = new Set<string>();
  const count = (digest: string) => {
    objects.add(digest);
    if (objects.size > options.maxObjects) {
      throw new Error(
        `the closure has more than ${options.maxObjects} manifests and blobs (backpack.processors.oci.maxObjectsPerVersion)`,
      );
    }
  };
  const object = (kind: 'manifest' | 'blob', digest: string, size: number, uri: string, skipped?: string) => {
    count(digest);
    const name = OCI_FILE_NAMES[kind](digest);
    files.set(name, {
      name,
      uri,
      path: `blobs/sha256/${digestHex(digest)}`,
      integrity: { algorithm: 'sha256', digest: digestHex(digest) },
      size,
      contentAddressed: true,
      ...(skipped ? { skipped } : {}),
    });
  };
  const visited = new Set<string>();

  function layerFile(layer: Descriptor) {
    if (!isForeignLayer(layer)) {
      object('blob', layer.digest, layer.size, repository.blobUrl(layer.digest));
      return;
    }
    const external = layer.urls?.find(u => /^https?:\/\//i.test(u));
    const uri = external ?? repository.blobUrl(layer.digest);
    const skipped = options.includeForeignLayers
      ? undefined
      : `non-distributable layer (${layer.mediaType}): not mirrored; config includeForeignLayers: true mirrors it`;
    object('blob', layer.digest, layer.size, uri, skipped);
  }

  async function visit(reference: FetchedManifest | string, depth: Depth): Promise<void> {
    const fetched = typeof reference === 'string' ? await options.fetchManifest(reference) : reference;
    if (visited.has(fetched.digest)) return;
    visited.add(fetched.digest);
    object('manifest', fetched.digest, fetched.bytes.length, repository.manifestUrl(fetched.digest));
    const { manifest } = fetched;
    if (manifest.kind === 'index') {
      if (depth.index >= MAX_INDEX_DEPTH) throw new Error(`indexes nested deeper than ${MAX_INDEX_DEPTH}`);
      for (const child of keptChildren(manifest.manifests, options)) {
        await visit(child.digest, { ...depth, index: depth.index + 1 });
      }
    } else {
      object('blob', manifest.config.digest, manifest.config.size, repository.blobUrl(manifest.config.digest));
      manifest.layers.forEach(layerFile);
    }
    if (options.referrers && depth.referrer < MAX_REFERRER_DEPTH) {
      await visitReferrers(fetched.digest, { ...depth, referrer: depth.referrer + 1 });
    }
  }

  async function visitReferrers(digest: string, depth: Depth): Promise<void> {
    for (const referrer of (await options.fetchReferrers(digest)) ?? []) {
      await visit(referrer.digest, depth);
    }
    for (const tag of options.referrerTags.get(digestHex(digest)) ?? []) {
      const fetched = await options.fetchManifest(tag);
      files.set(OCI_FILE_NAMES.tag(tag), tagFile(repository, tag, fetched));
      await visit(fetched, depth);
    }
  }

  await visit(root, { index: 0, referrer: 0 });
  return [...files.values()];
}

/** The file that says which manifest a tag names: content-addressed by that manifest. */
export function tagFile(repository: OciRepository, tag: string, manifest: FetchedManifest): ProcessorFile {
  return {
    name: OCI_FILE_NAMES.tag(tag),
    uri: repository.manifestUrl(manifest.digest),
    path: `blobs/sha256/${digestHex(manifest.digest)}`,
    integrity: { algorithm: 'sha256', digest: digestHex(manifest.digest) },
    size: manifest.bytes.length,
    contentAddressed: true,
  };
}
