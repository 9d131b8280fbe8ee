import { createHash, Hash } from 'node:crypto';
import { Readable } from 'node:stream';
import { BackpackStores } from '../database/createBackpackStores';
import { CollectedFile, ExportOutcome, ExportWindow } from '../database/ExportStore';
import { readNpmTarballManifest } from '../views/metadata/npmTarballManifest';
import { sleep } from '../lib/retry';
import { BlobStore } from '../storage/BlobStore';
import { blobRangeReader } from '../storage/blobRangeReader';
import { isContentAddressedKey } from '../storage/fileStorageKey';
import { readAtMost } from '../lib/readAtMost';
import { BundleLayout } from './BundleLayout';
import { MANIFEST_FORMAT, ManifestSigning, ManifestWriter } from './manifest';
import { MAVEN_SIDECARS } from './metadata/staticMaven';
import { PartSink } from './PartSink';
import { TAR_END, tarHeader, tarPadding } from './tar';
import { ExportRecord } from './types';
import { asError } from '../lib/errorMessage';
import { SigningKey } from './signing/signingKey';
import { declaredLicenses, licensesOf } from './sbom/licenses';
import { componentRef, SbomDocument, SbomFile } from './sbom/SbomDocument';
import { BUNDLE_SIGNATURE_NAMESPACE, sshSignature } from './signing/sshSignature';

const FILE_PAGE = 500;
const ARTIFACT_PAGE = 100;

/** The bundle's CycloneDX SBOM, the last entry of its tar stream. */
export const SBOM_FILE = 'sbom.cdx.json';

/** The detached signature beside a signed manifest. */
export const SIGNATURE_FILE = 'manifest.json.sig';

/** Blob keys of an export's objects. */
export const exportKeys = {
  prefix: (id: string) => `exports/${id}`,
  part: (id: string, name: string) => `exports/${id}/${name}`,
  manifest: (id: string) => `exports/${id}/manifest.json`,
  signature: (id: string) => `exports/${id}/${SIGNATURE_FILE}`,
};


/** What a finished build produced: what the store records of a succeeded export. */
export type BuiltBundle = Omit<Extract<ExportOutcome, { status: 'succeeded' }>, 'status'>;

/** Options of {@link BundleBuilder}. */
export interface BundleBuilderOptions {
  stores: Pick<BackpackStores, 'exports' | 'admissions'>;
  blobStore: BlobStore;
  partSizeBytes: number;
  npmTarballBaseUrl: string;
  nugetFeedBaseUrl?: string;
  composerRepositoryUrl?: string;
  /** Signs manifests when set (`backpack.exports.signing`). */
  signingKey?: SigningKey;
  /** How long a build waits before it reads; see {@link BundleBuilder.cutoffOf}. */
  settleMs: number;
  /**
   * Told, page by page and before they are written, which artifacts the
   * bundle carries (files, metadata or an entry in an index), so that it can
   * be shown only to whoever may read them all.
   */
  onContents?(exportId: string, artifacts: Array<{ processor: string; id: string }>): Promise<void>;
}

const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/**
 * Builds one bundle: streams every file collected in the export's window
 * from the blob store into a tar stream, followed by registry metadata for
 * the artifacts it touched, cuts the stream into parts in the blob store
 * and writes the sealed manifest. Files, parts and the manifest are all
 * streamed and hashed on the way, so memory does not grow with the bundle.
 */
export class BundleBuilder {
  constructor(private readonly options: BundleBuilderOptions) {}

  async build(record: ExportRecord, signal?: AbortSignal): Promise<BuiltBundle> {
    const { stores, blobStore, partSizeBytes } = this.options;
    const store = stores.exports;
    const cutoff = await this.cutoffOf(record, signal);
    const window: ExportWindow = {
      after: record.since?.time,
      until: cutoff,
      processors: record.processors,
    };
    const readNpmManifest = async (file: CollectedFile) => {
      const blob = await blobStore.get(file.storageKey);
      return blob ? readNpmTarballManifest(blob.body) : undefined;
    };
    const layout = new BundleLayout({
      npmTarballBaseUrl: this.options.npmTarballBaseUrl,
      nugetFeedBaseUrl: this.options.nugetFeedBaseUrl,
      composerRepositoryUrl: this.options.composerRepositoryUrl,
      listArtifactIds: processor => this.artifactIds(record.id, processor, cutoff),
      readNpmManifest,
      collectedArtifact: (processor, id) => store.getCollectedArtifact({ processor, id }, cutoff),
      readSmallFile: async (file, maxBytes) => {
        const blob = await blobStore.get(file.storageKey);
        return blob ? readAtMost(blob.body, maxBytes) : undefined;
      },
      rangeReaderOf: file => blobRangeReader(blobStore, file.storageKey),
    });

    const manifestKey = exportKeys.manifest(record.id);
    const manifest = new ManifestWriter(blobStore, manifestKey, {
      createdAt: record.createdAt,
      cutoff,
    });
    const sink = new PartSink({
      blobStore,
      keyOf: name => exportKeys.part(record.id, name),
      partSize: partSizeBytes,
    });

    const writeEntry = async (
      path: string,
      size: number,
      mtime: number,
      body: AsyncIterable<Buffer | string> | Iterable<Buffer>,
      hashes: Hash[] = [],
      verified?: boolean,
    ): Promise<string> => {
      signal?.throwIfAborted();
      await sink.write(tarHeader(path, size, mtime));
      const offset = sink.position;
      const sha256 = createHash('sha256');
      let written = 0;
      for await (const piece of body) {
        const chunk = typeof piece === 'string' ? Buffer.from(piece) : piece;
        sha256.update(chunk);
        hashes.forEach(h => h.update(chunk));
        written += chunk.length;
        if (written > size) break;
        await sink.write(chunk);
      }
      if (written !== size) {
        throw new Error(`${path}: expected ${size} bytes but read ${written}`);
      }
      await sink.write(tarPadding(size));
      const digest = sha256.digest('hex');
      await manifest.addFile({ path, size, sha256: digest, offset, verified });
      return digest;
    };
    const writeBuffer = (path: string, content: Buffer, mtime: number) =>
      writeEntry(path, content.length, mtime, [content]);

    // The SBOM lists every collected file by (artifact, version); held in
    // memory, one small entry per file, until it is written last.
    const sbom = new SbomDocument({
      serialNumber: `urn:uuid:${record.id}`,
      timestamp: new Date(cutoff),
      name: `backpack-bundle-${record.id}`,
    });
    const sbomFiles = new Map<string, SbomFile[]>();
    const listFile = (file: CollectedFile, path: string, sha256: string) => {
      const ref = componentRef(file.processor, file.artifactId, file.version);
      const files = sbomFiles.get(ref) ?? [];
      files.push({ path, sha256, integrity: file.integrity });
      sbomFiles.set(ref, files);
    };

    try {
      const touchedProcessors = new Set<string>();
      // Content-addressed objects (OCI blobs) that many files list go in once.
      const objectsWritten = new Set<string>();
      for await (const file of this.collectedFiles(window)) {
        // One path per (artifact, version, file), or per object: no two files share one.
        const path = layout.pathOf(file);
        if (isContentAddressedKey(file.storageKey)) {
          touchedProcessors.add(file.processor);
          if (objectsWritten.has(file.storageKey)) {
            // In the bundle once, and part of each version that lists it.
            if (file.sha256) listFile(file, path, file.sha256);
            continue;
          }
          objectsWritten.add(file.storageKey);
        }
        touchedProcessors.add(file.processor);
        let blob = await blobStore.get(file.storageKey);
        if (!blob) {
          // The storage key migration may have moved it since the page was read.
          const current = await store.getCollectedStorageKey(file.ref);
          if (current && current !== file.storageKey) blob = await blobStore.get(current);
        }
        if (!blob) {
          throw new Error(
            `${file.processor}:${file.artifactId}@${file.version}: ${file.storageKey} is recorded as collected but missing from the blob store`,
          );
        }
        const sidecars = layout.wantsSidecars(file)
          ? MAVEN_SIDECARS.map(s => ({ ...s, hash: createHash(s.algorithm) }))
          : [];
        const mtime = seconds(file.collectedAt);
        let sha256: string;
        try {
          sha256 = await writeEntry(
            path,
            blob.size,
            mtime,
            blob.body,
            sidecars.map(s => s.hash),
            file.verified,
          );
        } finally {
          blob.body.destroy();
        }
        if (file.sha256 && file.sha256 !== sha256) {
          throw new Error(
            `${file.storageKey}: stored bytes have sha256 ${sha256}, but ${file.sha256} was recorded at collection`,
          );
        }
        listFile(file, path, sha256);
        for (const sidecar of sidecars) {
          await writeBuffer(`${path}${sidecar.suffix}`, Buffer.from(sidecar.hash.digest('hex')), mtime);
        }
      }

      const metadataTime = seconds(cutoff);
      for await (const artifact of this.touchedArtifacts(record.id, window)) {
        // Also when all its files went into earlier bundles (shared objects).
        touchedProcessors.add(artifact.processor);
        const collected = await store.getCollectedArtifact(artifact.ref, cutoff);
        if (!collected) continue;
        for (const entry of await layout.metadataOf(collected, cutoff)) {
          await writeBuffer(entry.path, entry.content, metadataTime);
        }
        const { processor, id } = collected;
        const carried = collected.versions.filter(v => sbomFiles.has(componentRef(processor, id, v.version)));
        const declared = carried.length > 0 ? await declaredLicenses(stores, collected) : new Map<string, string>();
        const licenses = await licensesOf(declared, collected, carried, { readNpmManifest });
        for (const version of carried) {
          const files = sbomFiles.get(componentRef(processor, id, version.version))!;
          const license = licenses.get(version.version);
          sbom.add({ processor, id, version: version.version, dependencies: version.dependencies, files, license });
        }
      }
      for (const processor of [...touchedProcessors].sort()) {
        for (const entry of await layout.indexesOf(processor)) {
          // Measured in a first pass, so the header can carry the size.
          let size = 0;
          for await (const text of entry.chunks()) size += Buffer.byteLength(text);
          await writeEntry(entry.path, size, metadataTime, entry.chunks());
        }
      }

      await writeBuffer(SBOM_FILE, Buffer.from(sbom.toJson()), metadataTime);

      await sink.write(TAR_END);
      const parts = await sink.finish();
      const totalBytes = sink.position;
      const files = manifest.files;
      const { signingKey } = this.options;
      const signing: ManifestSigning | undefined = signingKey && {
        format: 'sshsig',
        namespace: BUNDLE_SIGNATURE_NAMESPACE,
        fingerprint: signingKey.fingerprint,
        signature: SIGNATURE_FILE,
      };
      const { seal, sha512 } = await manifest.finish({
        format: MANIFEST_FORMAT,
        id: record.id,
        kind: record.kind,
        partSize: partSizeBytes,
        parts: parts.map(p => ({ ...p })),
        processors: record.processors ?? null,
        sbom: SBOM_FILE,
        since: record.since ? { ...record.since } : null,
        totalBytes,
        totalFiles: files,
        ...(signing ? { signing: { ...signing } } : {}),
      });
      if (signingKey) {
        const signature = sshSignature(signingKey, BUNDLE_SIGNATURE_NAMESPACE, sha512);
        await blobStore.put(exportKeys.signature(record.id), Readable.from([Buffer.from(signature)]), {
          metadata: { 'content-type': 'text/plain' },
        });
      }
      return { cutoff, manifestKey, seal, parts, files, totalBytes };
    } catch (error) {
      const reason = asError(error);
      await manifest.abort(reason);
      await sink.abort(reason);
      throw error;
    }
  }

  /**
   * The newest collection time the bundle covers: when the build starts
   * (never before a delta's start), so it carries everything collected
   * before it was requested.
   *
   * `collected_at` is the collecting replica's clock when it recorded the
   * file, and the record commits a moment later. The build waits `settleMs`
   * before reading, so that every file stamped before the cut-off has
   * committed by then, also from a replica whose clock lags by less than
   * that; otherwise such a file would fall before this cut-off without being
   * in this bundle and before the next delta's start too.
   */
  private async cutoffOf(record: ExportRecord, signal?: AbortSignal): Promise<string> {
    const start = new Date().toISOString();
    if (this.options.settleMs > 0) await sleep(this.options.settleMs, signal);
    const floor = record.since?.time;
    return floor && floor > start ? floor : start;
  }

  private async *collectedFiles(window: ExportWindow): AsyncIterable<CollectedFile> {
    let after: { ref: number } | undefined;
    for (;;) {
      const page = await this.options.stores.exports.listCollectedFiles(window, { after, limit: FILE_PAGE });
      yield* page;
      if (page.length < FILE_PAGE) return;
      after = { ref: page[page.length - 1].ref };
    }
  }

  private async *touchedArtifacts(exportId: string, window: ExportWindow) {
    let afterRef: number | undefined;
    for (;;) {
      const page = await this.options.stores.exports.listTouchedArtifacts(window, { afterRef, limit: ARTIFACT_PAGE });
      await this.options.onContents?.(exportId, page);
      yield* page;
      if (page.length < ARTIFACT_PAGE) return;
      afterRef = page[page.length - 1].ref;
    }
  }

  private async *artifactIds(exportId: string, processor: string, until: string): AsyncIterable<string> {
    let afterId: string | undefined;
    for (;;) {
      const page = await this.options.stores.exports.listCollectedArtifactIds(processor, until, {
        afterId,
        limit: FILE_PAGE,
      });
      await this.options.onContents?.(exportId, page.map(id => ({ processor, id })));
      yield* page;
      if (page.length < FILE_PAGE) return;
      afterId = page[page.length - 1];
    }
  }
}
