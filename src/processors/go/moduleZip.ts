/**
 * Reads a module zip as the go command checks one: every file under
 * `<module>@<version>/`, stored or deflated, within size bounds; answers
 * its `h1:` hash. Only what module zips use is supported (no ZIP64, no
 * encryption): anything else is refused, naming the problem.
 */
import { InputError } from '@backstage/errors';
import { createHash } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { hash1 } from './dirhash';

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** Bounds on reading a module zip. */
export interface ModuleZipLimits {
  /** Bytes of all files together once inflated (the go command's own bound is 500 MiB). */
  maxUnzippedBytes: number;
  /** Files in one zip. */
  maxFiles: number;
}

function findEndOfCentralDirectory(zip: Buffer): number {
  // The record is 22 bytes plus a comment of at most 65535.
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 65_535); i--) {
    if (zip.readUInt32LE(i) === EOCD) return i;
  }
  throw new InputError('not a zip file (no end of central directory)');
}

/**
 * The `h1:` hash of a module zip of `module@version`, after checking that
 * every name lies under `<module>@<version>/` (the zip's own case, as the
 * go command writes it) and that the files fit the limits.
 */
export function moduleZipHash(zip: Buffer, prefix: string, limits: ModuleZipLimits): string {
  const end = findEndOfCentralDirectory(zip);
  const count = zip.readUInt16LE(end + 10);
  const size = zip.readUInt32LE(end + 12);
  let offset = zip.readUInt32LE(end + 16);
  if (count === 0xffff || offset === 0xffffffff || size === 0xffffffff) {
    throw new InputError('ZIP64 module zips are not supported');
  }
  if (count > limits.maxFiles) throw new InputError(`more than ${limits.maxFiles} files`);
  if (offset + size > end) throw new InputError('central directory out of bounds');
  const files: Array<{ name: string; sha256: string }> = [];
  const seen = new Set<string>();
  let inflated = 0;
  for (let i = 0; i < count; i++) {
    if (offset + 46 > end || zip.readUInt32LE(offset) !== CENTRAL) {
      throw new InputError('corrupt central directory');
    }
    const flags = zip.readUInt16LE(offset + 8);
    const method = zip.readUInt16LE(offset + 10);
    const compressed = zip.readUInt32LE(offset + 20);
    const uncompressed = zip.readUInt32LE(offset + 24);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const local = zip.readUInt32LE(offset + 42);
    const name = zip.toString('utf8', offset + 46, offset + 46 + nameLength);
    offset += 46 + nameLength + extraLength + commentLength;

    if (flags & 0x1) throw new InputError(`${name}: encrypted entries are not supported`);
    if (!name.startsWith(prefix) || name.split('/').some(s => s === '..' || s === '.')) {
      throw new InputError(`${name}: not under ${prefix}`);
    }
    if (seen.has(name.toLowerCase())) throw new InputError(`${name}: listed twice`);
    seen.add(name.toLowerCase());
    inflated += uncompressed;
    if (inflated > limits.maxUnzippedBytes) {
      throw new InputError(`more than ${limits.maxUnzippedBytes} bytes once unzipped`);
    }
    if (local + 30 > zip.length || zip.readUInt32LE(local) !== LOCAL) {
      throw new InputError(`${name}: corrupt local header`);
    }
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    if (start + compressed > zip.length) throw new InputError(`${name}: data out of bounds`);
    const data = zip.subarray(start, start + compressed);
    let content: Buffer;
    if (method === 0) content = data;
    else if (method === 8) content = inflate(data, uncompressed, name);
    else throw new InputError(`${name}: compression method ${method} is not supported`);
    if (content.length !== uncompressed) throw new InputError(`${name}: size does not match the directory`);
    files.push({ name, sha256: createHash('sha256').update(content).digest('hex') });
  }
  return hash1(files);
}

function inflate(data: Buffer, expected: number, name: string): Buffer {
  try {
    return inflateRawSync(data, { maxOutputLength: Math.max(expected, 1) });
  } catch (error) {
    // Also more bytes than the directory declares: a zip bomb's trick.
    throw new InputError(`${name}: does not inflate to its declared ${expected} bytes (${(error as Error).message})`);
  }
}
