import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

// Images the OCI tests build themselves: JSON manifests and tar.gz layers
// as bytes, in memory and as OCI image layouts on disk (which skopeo pushes
// into a real registry).

/** One content-addressed object: a manifest or a blob. */
export interface OciObject {
  digest: string;
  mediaType: string;
  bytes: Buffer;
}

/** An image (an index with its platform manifests, or one manifest) and every object it needs. */
export interface TestImage {
  /** What a tag names: the index (or the one manifest). */
  root: OciObject;
  /** Every manifest of the image, root first. */
  manifests: OciObject[];
  /** Every config and layer blob, each once. */
  blobs: OciObject[];
}

export const OCI = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  foreignLayer: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
};

export function ociObject(mediaType: string, bytes: Buffer | string): OciObject {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
  return { digest: `sha256:${createHash('sha256').update(buffer).digest('hex')}`, mediaType, bytes: buffer };
}

const descriptor = (object: OciObject, extra: Record<string, unknown> = {}) => ({
  mediaType: object.mediaType,
  digest: object.digest,
  size: object.bytes.length,
  ...extra,
});

/** A one-file ustar archive. */
function tar(name: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0);
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(`${content.length.toString(8).padStart(11, '0')}\0`, 124);
  header.write('00000000000\0', 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\u000000', 257);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([header, content, padding, Buffer.alloc(1024)]);
}

/** A gzipped layer holding one file, and its uncompressed digest (the config's diff_id). */
function layer(name: string, content: string, mediaType = OCI.layer) {
  const raw = tar(name, Buffer.from(content));
  return {
    object: ociObject(mediaType, gzipSync(raw)),
    diffId: `sha256:${createHash('sha256').update(raw).digest('hex')}`,
  };
}

/**
 * An image with one manifest per architecture (`amd64`, `arm64` by
 * default) under an OCI index; every platform has the same base layer
 * (stored once) and one of its own. `foreignLayer` adds a
 * non-distributable layer to the first platform.
 */
export function buildImage(
  name: string,
  options: { architectures?: string[]; foreignLayer?: boolean; salt?: string } = {},
): TestImage {
  const salt = options.salt ?? '';
  const base = layer('base.txt', `base layer of ${name}${salt}\n`);
  const manifests: OciObject[] = [];
  const blobs = new Map<string, OciObject>([[base.object.digest, base.object]]);
  const platforms = (options.architectures ?? ['amd64', 'arm64']).map((architecture, i) => {
    const own = layer(`${architecture}.txt`, `${name}${salt} for ${architecture}\n`);
    const layers = [base, own];
    if (options.foreignLayer && i === 0) {
      layers.push(layer('foreign.txt', `foreign ${name}\n`, OCI.foreignLayer));
    }
    const config = ociObject(
      OCI.config,
      JSON.stringify({
        architecture,
        os: 'linux',
        config: {},
        rootfs: { type: 'layers', diff_ids: layers.map(l => l.diffId) },
      }),
    );
    const manifest = ociObject(
      OCI.manifest,
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI.manifest,
        config: descriptor(config),
        layers: layers.map(l =>
          descriptor(
            l.object,
            l.object.mediaType === OCI.foreignLayer ? { urls: [`https://foreign.example/${l.object.digest}`] } : {},
          ),
        ),
      }),
    );
    manifests.push(manifest);
    for (const object of [config, ...layers.map(l => l.object)]) blobs.set(object.digest, object);
    return descriptor(manifest, { platform: { architecture, os: 'linux' } });
  });
  const root = ociObject(OCI.index, JSON.stringify({ schemaVersion: 2, mediaType: OCI.index, manifests: platforms }));
  return { root, manifests: [root, ...manifests], blobs: [...blobs.values()] };
}

/**
 * A cosign-style signature of `subject` (an OCI manifest with a simple
 * signing payload layer), as pushed under the tag `sha256-<hex>.sig`; with
 * `asReferrer` it names its subject (`subject`), as the referrers API
 * finds it.
 */
export function buildSignature(subject: OciObject, options: { asReferrer?: boolean } = {}): TestImage {
  const payload = ociObject(
    'application/vnd.dev.cosign.simplesigning.v1+json',
    JSON.stringify({ critical: { image: { 'docker-manifest-digest': subject.digest }, type: 'cosign container image signature' } }),
  );
  const config = ociObject(OCI.config, '{}');
  const root = ociObject(
    OCI.manifest,
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI.manifest,
      ...(options.asReferrer ? { artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json' } : {}),
      config: descriptor(config),
      layers: [descriptor(payload, { annotations: { 'dev.cosignproject.cosign/signature': 'MEUCIQ==' } })],
      ...(options.asReferrer ? { subject: descriptor(subject) } : {}),
    }),
  );
  return { root, manifests: [root], blobs: [config, payload] };
}

/** The cosign tag of a signature of `subject`. */
export const signatureTag = (subject: OciObject) => `sha256-${subject.digest.slice(7)}.sig`;

/**
 * Writes an OCI image layout (`oci-layout`, `index.json`, `blobs/sha256/…`)
 * with one annotated entry per tag, as `skopeo copy oci:<dir>:<tag>` reads it.
 */
export async function writeOciLayout(dir: string, tagged: Array<{ tag: string; image: TestImage }>): Promise<void> {
  await fs.mkdir(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  for (const { image } of tagged) {
    for (const object of [...image.manifests, ...image.blobs]) {
      await fs.writeFile(path.join(dir, 'blobs', 'sha256', object.digest.slice(7)), object.bytes);
    }
  }
  await fs.writeFile(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const manifests = tagged.map(({ tag, image }) =>
    descriptor(image.root, { annotations: { 'org.opencontainers.image.ref.name': tag } }),
  );
  await fs.writeFile(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests }));
}
