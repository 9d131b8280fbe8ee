import { createHash } from 'node:crypto';

/**
 * What the `/v2/` view reads from a stored manifest: its media type (which
 * the response's Content-Type must be) and what a referrers listing shows
 * of it. Stored manifests were verified against their digest when they
 * were collected; they are checked again as they are read, since the view
 * sends their bytes as the digest's.
 */

const INDEX = 'application/vnd.oci.image.index.v1+json';
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** What a referrers listing says of a manifest. */
export interface ManifestSummary {
  mediaType: string;
  size: number;
  /** The digest it refers to (`subject`), if any. */
  subject?: string;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export function sha256Of(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The media type and referrer summary of manifest bytes: the manifest's own
 * `mediaType`, or what its shape says (OCI lets a manifest leave it out).
 */
export function summarizeManifest(bytes: Buffer): ManifestSummary {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    json = undefined;
  }
  const manifest = isObject(json) ? json : {};
  const declared = typeof manifest.mediaType === 'string' ? manifest.mediaType : undefined;
  const mediaType = declared ?? (Array.isArray(manifest.manifests) ? INDEX : MANIFEST);
  const subject = isObject(manifest.subject) && typeof manifest.subject.digest === 'string' ? manifest.subject.digest : undefined;
  const config = isObject(manifest.config) ? manifest.config : undefined;
  // Without an artifactType, a referrer's type is its config's media type (OCI 1.1).
  let artifactType: string | undefined;
  if (typeof manifest.artifactType === 'string') artifactType = manifest.artifactType;
  else if (typeof config?.mediaType === 'string') artifactType = config.mediaType;
  const annotations =
    isObject(manifest.annotations) && Object.values(manifest.annotations).every(v => typeof v === 'string')
      ? (manifest.annotations as Record<string, string>)
      : undefined;
  return {
    mediaType,
    size: bytes.length,
    ...(subject ? { subject } : {}),
    ...(artifactType ? { artifactType } : {}),
    ...(annotations ? { annotations } : {}),
  };
}

/** The referrers API's answer: an OCI index of the referring manifests' descriptors. */
export function referrersIndex(referrers: Array<{ digest: string; summary: ManifestSummary }>): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: INDEX,
    manifests: referrers.map(({ digest, summary }) => ({
      mediaType: summary.mediaType,
      digest,
      size: summary.size,
      ...(summary.artifactType ? { artifactType: summary.artifactType } : {}),
      ...(summary.annotations ? { annotations: summary.annotations } : {}),
    })),
  });
}
