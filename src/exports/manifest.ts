import { JsonValue } from '@backstage/types';
import { createHash, Hash } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { canonicalJson } from '../lib/canonicalJson';
import { BlobStore } from '../storage/BlobStore';
import { BundlePart, ExportKind } from './types';

/** The `format` of manifests this code writes. */
export const MANIFEST_FORMAT = 'backpack-bundle/1';

/** What the seal says about how it was computed, for whoever checks it. */
export const SEAL_DESCRIPTION =
  'sha256 over the UTF-8 bytes of the manifest without its "seal" member as canonical JSON: ' +
  'object keys sorted by code point at every level, no whitespace between tokens, strings and ' +
  'numbers written as JSON.stringify writes them (the same bytes as `jq -jcS \'del(.seal)\' manifest.json`)';

/** One entry of a bundle as the manifest lists it. */
export interface ManifestFile {
  /** Path inside the tar stream (and of the file once unpacked). */
  path: string;
  size: number;
  sha256: string;
  /** Offset of the file's content in the tar stream, the parts concatenated. */
  offset: number;
  /**
   * For collected files: whether the bytes were checked against a digest
   * the upstream declared (`false` for files collected under
   * `backpack.collection.unverifiedFiles: allow`). Absent on generated
   * entries (registry metadata, checksum sidecars).
   */
  verified?: boolean;
}

/**
 * `exports/<id>/manifest.json`. Parts are consecutive byte ranges of one
 * tar stream (`cat part-* | tar -x` unpacks it); `files` lists every entry
 * of the stream in order.
 */
export interface BundleManifest {
  format: typeof MANIFEST_FORMAT;
  id: string;
  kind: ExportKind;
  createdAt: string;
  /** Upper bound of the collection times covered; a delta since this export starts after it. */
  cutoff: string;
  since: { exportId?: string; time: string } | null;
  processors: string[] | null;
  partSize: number;
  files: ManifestFile[];
  parts: BundlePart[];
  totalFiles: number;
  totalBytes: number;
  /** The entry of the bundle's CycloneDX SBOM (`sbom.cdx.json`). */
  sbom?: string;
  /** Present when the manifest is signed; see {@link ManifestSigning}. */
  signing?: ManifestSigning;
  seal: { algorithm: 'sha256'; covers: string; digest: string };
}

/**
 * How a signed manifest is signed: a detached SSH signature over the
 * manifest's bytes, beside it as `manifest.json.sig`, which
 * `ssh-keygen -Y verify -n backpack-bundle` checks.
 */
export interface ManifestSigning {
  format: 'sshsig';
  namespace: string;
  /** The signing key's fingerprint as `ssh-keygen -l` prints it: `SHA256:…`. */
  fingerprint: string;
  /** File name of the signature beside the manifest. */
  signature: string;
}

/** The seal digest of a parsed manifest, as a verifier computes it. */
export function sealOf(manifest: Record<string, unknown>): string {
  const { seal: _seal, ...rest } = manifest;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

/**
 * Writes a manifest to the blob store while the bundle is built, so its
 * file list never has to be held in memory. The text is canonical JSON
 * (members in key order) with the seal appended as the last member, and the
 * seal is hashed over exactly the bytes written before it.
 */
export class ManifestWriter {
  private readonly stream = new PassThrough({ highWaterMark: 256 * 1024 });
  private readonly hash: Hash = createHash('sha256');
  /** Over every byte written, seal included: what a signature covers. */
  private readonly whole: Hash = createHash('sha512');
  private readonly upload: Promise<void>;
  private count = 0;

  /**
   * @param head - the members that sort before `files`, known at the start
   */
  constructor(
    blobStore: BlobStore,
    key: string,
    head: { createdAt: string; cutoff: string },
  ) {
    this.upload = blobStore.put(key, this.stream, {
      metadata: { 'content-type': 'application/json' },
    });
    this.upload.catch(() => undefined);
    // Keys in code point order: createdAt < cutoff < files.
    this.pending = this.emit(
      `{"createdAt":${JSON.stringify(head.createdAt)},"cutoff":${JSON.stringify(head.cutoff)},"files":[`,
    );
  }

  private pending: Promise<void>;

  /** Files written so far. */
  get files(): number {
    return this.count;
  }

  async addFile(file: ManifestFile): Promise<void> {
    await this.pending;
    const entry = canonicalJson({
      offset: file.offset,
      path: file.path,
      sha256: file.sha256,
      size: file.size,
      verified: file.verified,
    });
    this.pending = this.emit(this.count === 0 ? entry : `,${entry}`);
    this.count += 1;
    await this.pending;
  }

  /**
   * Writes the members that sort after `files` and the seal, and waits for
   * the upload.
   *
   * @returns the seal digest and the sha512 of the whole manifest
   */
  async finish(tail: Record<string, JsonValue>): Promise<{ seal: string; sha512: Buffer }> {
    await this.pending;
    if (Object.keys(tail).some(key => key <= 'files' || key === 'seal')) {
      throw new Error('Manifest members after the file list must sort after "files"');
    }
    const members = canonicalJson(tail).slice(1, -1);
    await this.emit(`]${members ? `,${members}` : ''}`);
    this.hash.update('}');
    const digest = this.hash.digest('hex');
    const seal = canonicalJson({ algorithm: 'sha256', covers: SEAL_DESCRIPTION, digest });
    const last = `,"seal":${seal}}`;
    this.whole.update(last);
    this.stream.end(last);
    await this.upload;
    return { seal: digest, sha512: this.whole.digest() };
  }

  /** Stops the upload; nothing is left at the key. */
  async abort(error: Error): Promise<void> {
    this.stream.destroy(error);
    await this.upload.catch(() => undefined);
  }

  private async emit(text: string): Promise<void> {
    this.hash.update(text);
    this.whole.update(text);
    if (!this.stream.write(text)) {
      await Promise.race([once(this.stream, 'drain').catch(() => undefined), this.upload]);
      if (this.stream.destroyed) await this.upload;
    }
  }
}
