import { createHash } from 'node:crypto';
import { DIGEST } from './ociNames';

/**
 * Manifests as registries serve them: the OCI image index and manifest and
 * their Docker schema 2 forms. Every manifest is checked against the digest
 * it was asked for (the sha256 of its bytes, as served) before anything in
 * it is believed, and every descriptor in it is checked before it becomes a
 * URL or a file.
 */

export const MEDIA_TYPES = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;

const INDEX_TYPES: string[] = [MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerList];
const MANIFEST_TYPES: string[] = [MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest];

/** What manifest requests accept: the index and manifest types, nothing older (schema 1). */
export const OCI_MANIFEST_ACCEPT = [...INDEX_TYPES, ...MANIFEST_TYPES].join(', ');

/** Layers a registry may not redistribute; their bytes live at the descriptor's `urls`. */
const FOREIGN_LAYER = /nondistributable|\.foreign\./;

/** Descriptors one manifest may list. */
const MAX_DESCRIPTORS = 10_000;

const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

/** A descriptor as checked. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os: string; architecture: string; variant?: string };
  urls?: string[];
  annotations?: Record<string, string>;
  artifactType?: string;
}

/** A manifest as checked: an index of manifests, or one manifest's config and layers. */
export type ParsedManifest =
  | { kind: 'index'; mediaType: string; manifests: Descriptor[]; subject?: Descriptor }
  | { kind: 'manifest'; mediaType: string; config: Descriptor; layers: Descriptor[]; subject?: Descriptor };

/** A manifest as fetched and checked. */
export interface FetchedManifest {
  digest: string;
  /** The bytes as served, whose sha256 is `digest`. */
  bytes: Buffer;
  manifest: ParsedManifest;
}

/** An upstream manifest that cannot be believed. */
export class ManifestError extends Error {
  name = 'ManifestError';
}

export function sha256Digest(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export function isForeignLayer(descriptor: Descriptor): boolean {
  return FOREIGN_LAYER.test(descriptor.mediaType);
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function stringMap(value: unknown, where: string): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value) || !Object.values(value).every(v => typeof v === 'string')) {
    throw new ManifestError(`${where}: annotations are not a map of strings`);
  }
  return value as Record<string, string>;
}

/** Checks one descriptor; sha256 digests only. */
export function parseDescriptor(value: unknown, where: string): Descriptor {
  if (!isObject(value)) throw new ManifestError(`${where} is not an object`);
  const { mediaType, digest, size, platform, urls, artifactType } = value;
  if (typeof mediaType !== 'string' || !MEDIA_TYPE.test(mediaType)) {
    throw new ManifestError(`${where}: mediaType is not a media type`);
  }
  if (typeof digest !== 'string' || !DIGEST.test(digest)) {
    throw new ManifestError(`${where}: digest is not sha256:<64 lower-case hex digits>`);
  }
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new ManifestError(`${where}: size is not a non-negative integer`);
  }
  const descriptor: Descriptor = { mediaType, digest, size };
  if (platform !== undefined) {
    if (!isObject(platform) || typeof platform.os !== 'string' || typeof platform.architecture !== 'string') {
      throw new ManifestError(`${where}: platform has no os and architecture`);
    }
    descriptor.platform = {
      os: platform.os,
      architecture: platform.architecture,
      ...(typeof platform.variant === 'string' ? { variant: platform.variant } : {}),
    };
  }
  if (urls !== undefined) {
    if (!Array.isArray(urls) || !urls.every(u => typeof u === 'string')) {
      throw new ManifestError(`${where}: urls are not a list of strings`);
    }
    descriptor.urls = urls as string[];
  }
  const annotations = stringMap(value.annotations, where);
  if (annotations) descriptor.annotations = annotations;
  if (typeof artifactType === 'string' && MEDIA_TYPE.test(artifactType)) descriptor.artifactType = artifactType;
  return descriptor;
}

function descriptors(value: unknown, where: string): Descriptor[] {
  if (!Array.isArray(value)) throw new ManifestError(`${where} is not a list`);
  if (value.length > MAX_DESCRIPTORS) {
    throw new ManifestError(`${where} lists more than ${MAX_DESCRIPTORS} descriptors`);
  }
  return value.map((d, i) => parseDescriptor(d, `${where}[${i}]`));
}

/**
 * The media type of a manifest: its own `mediaType`, or what its shape
 * says (OCI allows leaving it out). Both must agree with what the
 * registry's Content-Type says, when it says one of the known types.
 */
function mediaTypeOf(json: Record<string, unknown>, contentType: string | undefined): string {
  const declared = typeof json.mediaType === 'string' ? json.mediaType : undefined;
  const shape = Array.isArray(json.manifests) ? MEDIA_TYPES.ociIndex : MEDIA_TYPES.ociManifest;
  const served = contentType?.split(';')[0].trim().toLowerCase();
  const known = [...INDEX_TYPES, ...MANIFEST_TYPES];
  if (declared !== undefined && !known.includes(declared)) {
    throw new ManifestError(`media type ${JSON.stringify(declared.slice(0, 100))} is not an image index or manifest`);
  }
  const mediaType = declared ?? (served && known.includes(served) ? served : shape);
  if (served && known.includes(served) && served !== mediaType) {
    throw new ManifestError(`served as ${served} but is ${mediaType}`);
  }
  return mediaType;
}

/**
 * Checks a manifest's bytes against `digest` (sha256 of the bytes as
 * served) and parses it. Throws a ManifestError for anything else: another
 * digest, bytes over `maxBytes`, no JSON, schema 1, an unknown media type,
 * malformed descriptors.
 */
export function parseManifest(
  bytes: Buffer,
  options: { digest: string; maxBytes: number; contentType?: string },
): ParsedManifest {
  if (bytes.length > options.maxBytes) {
    throw new ManifestError(`manifest ${options.digest} is larger than ${options.maxBytes} bytes (backpack.processors.oci.maxManifestBytes)`);
  }
  const actual = sha256Digest(bytes);
  if (actual !== options.digest) {
    throw new ManifestError(`manifest bytes have digest ${actual}, not ${options.digest}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ManifestError(`manifest ${options.digest} is not JSON`);
  }
  if (!isObject(json) || json.schemaVersion !== 2) {
    throw new ManifestError(`manifest ${options.digest} is not schema version 2`);
  }
  const mediaType = mediaTypeOf(json, options.contentType);
  const subject = json.subject === undefined ? undefined : parseDescriptor(json.subject, 'subject');
  if (INDEX_TYPES.includes(mediaType)) {
    return { kind: 'index', mediaType, manifests: descriptors(json.manifests, 'manifests'), subject };
  }
  return {
    kind: 'manifest',
    mediaType,
    config: parseDescriptor(json.config, 'config'),
    layers: descriptors(json.layers ?? [], 'layers'),
    subject,
  };
}
