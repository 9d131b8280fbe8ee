import { createHash } from 'node:crypto';
import { FileIntegrity } from '../types';

/**
 * What identifies a stored file: the processor, the artifact's canonical
 * id, the version and the file's name within the version.
 *
 * @public
 */
export interface FileIdentity {
  processor: string;
  artifactId: string;
  version: string;
  name: string;
}

/** First segment of every collected file's key; export bundles live under `exports/`. */
export const FILE_KEY_ROOT = 'files';

/**
 * Encoded segments longer than this are replaced by their digest form, so
 * that each segment stays below the 255-byte name limit of common file
 * systems and a whole key (root and four segments: at most 810 bytes) below
 * S3's 1024-byte limit with room for a configured prefix.
 */
const MAX_SEGMENT_BYTES = 200;

/** How much of a long segment's encoding stays readable in front of its digest. */
const DIGEST_PREFIX_CHARS = 120;

const HEX = '0123456789abcdef';

function isWellFormed(value: string): boolean {
  // A lone surrogate has no UTF-8 form; two different ones would both encode
  // as U+FFFD and collide.
  return !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(value);
}

/**
 * The encoded tokens of a string: lower-case letters, digits, `-`, `_` and
 * `.` (except leading) stand for themselves; an upper-case letter becomes
 * `!` and its lower-case form (as Go's module proxy does); every other
 * UTF-8 byte becomes `%` and two lower-case hex digits.
 */
function encodeTokens(value: string): string[] {
  const tokens: string[] = [];
  for (const byte of Buffer.from(value, 'utf8')) {
    if (
      (byte >= 0x61 && byte <= 0x7a) ||
      (byte >= 0x30 && byte <= 0x39) ||
      byte === 0x2d ||
      byte === 0x5f ||
      (byte === 0x2e && tokens.length > 0)
    ) {
      tokens.push(String.fromCharCode(byte));
    } else if (byte >= 0x41 && byte <= 0x5a) {
      tokens.push(`!${String.fromCharCode(byte + 0x20)}`);
    } else {
      tokens.push(`%${HEX[byte >> 4]}${HEX[byte & 15]}`);
    }
  }
  return tokens;
}

/**
 * One path segment that stands for `value` and for nothing else.
 *
 * The output uses only `a-z 0-9 - _ . ! %`, is never empty, never starts
 * with `.` (so never `.`, `..` or a hidden name) and contains no upper-case
 * letter, so two different values give segments that differ even on
 * case-insensitive file systems and after Unicode normalisation (it is
 * ASCII). Decoding is unambiguous because `!` and `%` only ever start an
 * escape.
 *
 * Empty, ill-formed (lone surrogates) or long values get the digest form:
 * a readable prefix of the encoding, `!!`, and the sha256 of the value as
 * JSON. `!!` never occurs in the plain form (`!` is always followed by a
 * letter there), so the two forms cannot meet.
 */
export function encodeKeySegment(value: string): string {
  if (value.length > 0 && isWellFormed(value)) {
    const plain = encodeTokens(value).join('');
    if (plain.length <= MAX_SEGMENT_BYTES) return plain;
  }
  const digest = createHash('sha256').update(JSON.stringify(value)).digest('hex');
  let prefix = '';
  for (const token of encodeTokens(isWellFormed(value) ? value : '')) {
    if (prefix.length + token.length > DIGEST_PREFIX_CHARS) break;
    prefix += token;
  }
  return `${prefix}!!${digest}`;
}

/**
 * The blob key of a collected file:
 * `files/<processor>/<artifact id>/<version>/<file name>`, each part
 * encoded by {@link encodeKeySegment}.
 *
 * Backpack derives every file's key here, whatever the processor reports,
 * so two distinct (processor, artifact, version, file) never share a key:
 * the parts are separate segments, each an injective encoding of its value.
 * All keys have the same depth, so no key is the directory of another in
 * the local-directory store.
 *
 * @public
 */
export function fileStorageKey(file: FileIdentity): string {
  return [FILE_KEY_ROOT, file.processor, file.artifactId, file.version, file.name]
    .map((part, index) => (index === 0 ? part : encodeKeySegment(part)))
    .join('/');
}

/**
 * Whether a key is in the layout of {@link fileStorageKey}; keys of older
 * releases (`<processor>/<path>`) are not, and are moved by the storage key
 * migration.
 */
export function isFileStorageKey(key: string): boolean {
  return key.startsWith(`${FILE_KEY_ROOT}/`) && key.split('/').length === 5;
}

/** First segment of the keys of content-addressed files (see {@link storageKeyOf}). */
export const CONTENT_KEY_ROOT = 'blobs';

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** `blobs/sha256/<hex>`: where the bytes whose sha256 is `hex` are stored, once. */
export function contentAddressedKey(sha256Hex: string): string {
  if (!SHA256_HEX.test(sha256Hex)) {
    throw new Error('A content-addressed key needs a lower-case hex sha256');
  }
  return `${CONTENT_KEY_ROOT}/sha256/${sha256Hex}`;
}

/** Whether a key is one of {@link contentAddressedKey}. */
export function isContentAddressedKey(key: string): boolean {
  const prefix = `${CONTENT_KEY_ROOT}/sha256/`;
  return key.startsWith(prefix) && SHA256_HEX.test(key.slice(prefix.length));
}

/**
 * The blob key of a file, the one place it is derived: a content-addressed
 * file (`contentAddressed` with a sha256 integrity, e.g. an OCI layer) is
 * stored under `blobs/sha256/<hex>`, once for every file that lists the same
 * bytes; every other file under its identity ({@link fileStorageKey}).
 * Content-addressed keys cannot collide either: the collector verifies
 * the bytes against the digest while streaming, so only the bytes the key
 * names ever land there. The two roots (`blobs/`, `files/`) never meet.
 *
 * @public
 */
export function storageKeyOf(
  file: FileIdentity & { contentAddressed?: boolean; integrity?: FileIntegrity },
): string {
  if (file.contentAddressed) {
    if (file.integrity?.algorithm !== 'sha256') {
      throw new Error(`${file.name}: a content-addressed file needs a sha256 integrity`);
    }
    return contentAddressedKey(file.integrity.digest.toLowerCase());
  }
  return fileStorageKey(file);
}
