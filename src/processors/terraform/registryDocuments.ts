/**
 * The documents of the provider registry protocol the processor reads, as
 * an upstream may send them: every field is checked before use.
 */
import semver from 'semver';
import { isPathSegment } from '../../upstream/urls';
import { PLATFORM } from './terraformNames';

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const arr = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const obj = (value: unknown): Record<string, unknown> =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

/** Versions one provider may list; the largest public providers have a few hundred. */
const MAX_VERSIONS = 20_000;
/** Signing keys one download document may name. */
const MAX_KEYS = 16;

/** The base URL of the `providers.v1` service of a `/.well-known/terraform.json`, resolved and ending in `/`. */
export function providersServiceUrl(discovery: unknown, discoveryUrl: string): string | undefined {
  const value = str(obj(discovery)['providers.v1']);
  if (!value) return undefined;
  let url: URL;
  try {
    url = new URL(value, discoveryUrl);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.search || url.hash) return undefined;
  return url.href.endsWith('/') ? url.href : `${url.href}/`;
}

/** A version of a provider's `versions` document, with the platforms it was built for. */
export interface ListedProviderVersion {
  version: string;
  protocols: string[];
  /** `<os>_<arch>`; undefined when the registry did not list them. */
  platforms?: string[];
}

/** The versions of `GET /v1/providers/:namespace/:type/versions`: valid semver only, each once. */
export function parseVersionsDocument(document: unknown): ListedProviderVersion[] {
  const seen = new Set<string>();
  const result: ListedProviderVersion[] = [];
  for (const entry of arr(obj(document).versions).slice(0, MAX_VERSIONS).map(obj)) {
    const version = str(entry.version);
    if (!version || semver.valid(version) !== version || seen.has(version)) continue;
    seen.add(version);
    const platforms = Array.isArray(entry.platforms)
      ? entry.platforms.map(obj).flatMap(p => {
          const name = `${str(p.os)}_${str(p.arch)}`;
          return PLATFORM.test(name) ? [name] : [];
        })
      : undefined;
    const protocols = arr(entry.protocols).flatMap(p => (typeof p === 'string' && p.length <= 16 ? [p] : []));
    result.push({ version, protocols, ...(platforms ? { platforms } : {}) });
  }
  return result;
}

/** What the download endpoint says of one package. */
export interface ProviderDownload {
  filename: string;
  downloadUrl: string;
  /** Lower-case hex sha256 of the zip. */
  shasum: string;
  shasumsUrl: string;
  shasumsSignatureUrl: string;
  /** ASCII-armored public keys the checksums may be signed with. */
  armoredKeys: string[];
}

/**
 * The document of `GET /v1/providers/:namespace/:type/:version/download/:os/:arch`,
 * URLs resolved against the endpoint's; throws naming the field that is
 * missing or not what the protocol says.
 */
export function parseDownloadDocument(document: unknown, endpointUrl: string): ProviderDownload {
  const doc = obj(document);
  const url = (field: string) => {
    const value = str(doc[field]);
    if (!value) throw new Error(`${field} is missing`);
    let resolved: URL;
    try {
      resolved = new URL(value, endpointUrl);
    } catch {
      throw new Error(`${field} is not a URL`);
    }
    if (resolved.protocol !== 'https:' && resolved.protocol !== 'http:') throw new Error(`${field} is not an http(s) URL`);
    return resolved.href;
  };
  const filename = str(doc.filename);
  if (!filename || !isPathSegment(filename) || !filename.endsWith('.zip')) {
    throw new Error('filename is missing or not a plain .zip file name');
  }
  const shasum = str(doc.shasum)?.toLowerCase();
  if (!shasum || !/^[0-9a-f]{64}$/.test(shasum)) throw new Error('shasum is not a hex sha256');
  const armoredKeys = arr(obj(doc.signing_keys).gpg_public_keys)
    .slice(0, MAX_KEYS)
    .map(obj)
    .flatMap(key => {
      const armor = str(key.ascii_armor);
      return armor && armor.length <= 64 * 1024 ? [armor] : [];
    });
  if (armoredKeys.length === 0) throw new Error('signing_keys.gpg_public_keys names no key');
  return {
    filename,
    downloadUrl: url('download_url'),
    shasum,
    shasumsUrl: url('shasums_url'),
    shasumsSignatureUrl: url('shasums_signature_url'),
    armoredKeys,
  };
}
