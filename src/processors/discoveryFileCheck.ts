import { COLUMN_LIMITS } from '../database/columnLimits';
import { FileIntegrity } from '../types';
import { MAX_REASON, MAX_URI, shown, stringProblem } from './discoveryFields';
import { ProcessorFile } from './types';

/** Hex digits of each digest algorithm a processor may declare. */
const HEX_LENGTHS: Record<FileIntegrity['algorithm'], number> = {
  sha512: 128,
  sha384: 96,
  sha256: 64,
  sha1: 40,
  md5: 32,
  'git-blob-sha1': 40,
};
/** What is wrong with a file as a processor described it, or undefined. */
export function fileProblem(file: ProcessorFile): string | undefined {
  // A name (or path hint) that can be stored but is no safe path segment
  // (`a/b`, `..`) is kept: `fileRefusal` parks it with its reason on the file.
  const name = stringProblem(file.name, COLUMN_LIMITS.fileName);
  if (name) return `name ${name}`;
  const uri = stringProblem(file.uri, MAX_URI);
  if (uri) return `uri ${uri}`;
  let protocol: string | undefined;
  try {
    protocol = new URL(file.uri).protocol;
  } catch {
    return 'uri is not a URL';
  }
  if (protocol !== 'http:' && protocol !== 'https:') return 'uri is not http(s)';
  const path = stringProblem(file.path, COLUMN_LIMITS.storagePath);
  if (path) return `path ${path}`;
  if (file.integrity !== undefined) {
    const { algorithm, digest } = (file.integrity ?? {}) as Partial<FileIntegrity>;
    const length = typeof algorithm === 'string' ? HEX_LENGTHS[algorithm] : undefined;
    if (!length) return `integrity algorithm ${shown(algorithm)} is not one of ${Object.keys(HEX_LENGTHS).join(', ')}`;
    if (typeof digest !== 'string' || !new RegExp(`^[0-9a-fA-F]{${length}}$`).test(digest)) {
      return `integrity digest is not ${length} hex digits`;
    }
  }
  if (file.size !== undefined && !(Number.isSafeInteger(file.size) && file.size >= 0)) {
    return 'size is not a non-negative integer';
  }
  // Git's blob id hashes a header naming the size before the bytes.
  if (file.integrity?.algorithm === 'git-blob-sha1' && file.size === undefined) {
    return 'git-blob-sha1 integrity without a size';
  }
  if (file.contentAddressed !== undefined && typeof file.contentAddressed !== 'boolean') {
    return 'contentAddressed is not a boolean';
  }
  // Its key is its digest: without a sha256 there is nothing to name it by.
  if (file.contentAddressed && file.integrity?.algorithm !== 'sha256') {
    return 'contentAddressed without a sha256 integrity';
  }
  if (file.skipped !== undefined) {
    const skipped = stringProblem(file.skipped, MAX_REASON);
    if (skipped) return `skipped ${skipped}`;
  }
  return undefined;
}
