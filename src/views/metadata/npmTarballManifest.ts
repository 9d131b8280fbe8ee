import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { DEFAULT_PARSING_LIMITS, ParsingLimits } from '../../upstream/limits';

const BLOCK = 512;

/** package.json is small; a larger entry is not a manifest worth serving. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** `<root>/package.json`: npm strips the first path segment, whatever it is. */
const MANIFEST_PATH = /^(?:\.\/)?[^/]+\/package\.json$/;

function cString(block: Buffer, offset: number, length: number): string {
  const field = block.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? field.length : end).toString('utf8');
}

/** Octal, or base-256 when the high bit is set (GNU tar for large sizes). */
function numeric(block: Buffer, offset: number, length: number): number {
  const field = block.subarray(offset, offset + length);
  if (field[0] & 0x80) {
    let value = field[0] & 0x7f;
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i];
    return value;
  }
  const text = cString(block, offset, length).trim();
  return text ? parseInt(text, 8) : 0;
}

/** The `path` record of a pax extended header, if any. */
function paxPath(data: Buffer): string | undefined {
  let offset = 0;
  let path: string | undefined;
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset);
    if (space === -1) break;
    const length = parseInt(data.subarray(offset, space).toString('ascii'), 10);
    if (!length || length < 0) break;
    const record = data.subarray(space + 1, offset + length - 1).toString('utf8');
    const equals = record.indexOf('=');
    if (equals !== -1 && record.slice(0, equals) === 'path') {
      path = record.slice(equals + 1);
    }
    offset += length;
  }
  return path;
}

/**
 * Reads `package.json` out of an npm tarball (a gzipped tar) as a stream,
 * stopping as soon as it is found. Returns undefined when the tarball has
 * none or is not a readable tar.gz, and throws when the source stream
 * fails (a storage error says nothing about the tarball); the source
 * stream is always consumed or destroyed.
 *
 * The registry's manifest of a version is the package.json that was
 * published in its tarball, so this is how a mirror regenerates it with
 * every field the client needs (bin, engines, os, cpu, alias specs).
 *
 * The tarball came from an upstream, so inflation is bounded: past
 * `limits.maxInflatedBytes` inflated bytes or `limits.maxEntries` entries
 * without a manifest it gives up (undefined), whatever the archive claims.
 */
export async function readNpmTarballManifest(
  tarball: Readable,
  limits: ParsingLimits['tarball'] = DEFAULT_PARSING_LIMITS.tarball,
): Promise<Record<string, unknown> | undefined> {
  const gunzip = createGunzip();
  let sourceError: unknown;
  tarball.on('error', error => {
    sourceError = error;
    gunzip.destroy(error);
  });
  tarball.pipe(gunzip);

  let buffer: Buffer = Buffer.alloc(0);
  /** Bytes of entry data (and padding) still to skip. */
  let skip = 0;
  /** Collecting the manifest's bytes: how many in all. */
  let wanted: number | undefined;
  /** A name given by a pax or GNU long-name header for the next entry. */
  let nextName: string | undefined;
  /** Reading a pax or GNU long-name header's data. */
  let meta: { type: string; size: number } | undefined;
  let inflated = 0;
  let entries = 0;

  try {
    for await (const chunk of gunzip) {
      inflated += (chunk as Buffer).length;
      if (inflated > limits.maxInflatedBytes) return undefined;
      buffer = buffer.length ? Buffer.concat([buffer, chunk as Buffer]) : (chunk as Buffer);
      for (;;) {
        if (skip > 0) {
          const skipped = Math.min(skip, buffer.length);
          buffer = buffer.subarray(skipped);
          skip -= skipped;
          if (skip > 0) break;
        }
        if (wanted !== undefined) {
          if (buffer.length < wanted) break;
          return parseManifest(buffer.subarray(0, wanted));
        }
        if (meta) {
          const padded = Math.ceil(meta.size / BLOCK) * BLOCK;
          if (buffer.length < padded) break;
          const data = buffer.subarray(0, meta.size);
          nextName =
            meta.type === 'x'
              ? paxPath(data) ?? nextName
              : cString(data, 0, data.length);
          buffer = buffer.subarray(padded);
          meta = undefined;
          continue;
        }
        if (buffer.length < BLOCK) break;
        const header = buffer.subarray(0, BLOCK);
        buffer = buffer.subarray(BLOCK);
        if (header.every(byte => byte === 0)) return undefined;
        entries += 1;
        if (entries > limits.maxEntries) return undefined;
        const size = numeric(header, 124, 12);
        const type = String.fromCharCode(header[156] || 0x30);
        if (type === 'x' || type === 'L') {
          if (size > MAX_MANIFEST_BYTES) return undefined;
          meta = { type, size };
          continue;
        }
        let name = cString(header, 0, 100);
        if (cString(header, 257, 5) === 'ustar') {
          const prefix = cString(header, 345, 155);
          if (prefix) name = `${prefix}/${name}`;
        }
        if (nextName !== undefined) {
          name = nextName;
          nextName = undefined;
        }
        const isFile = type === '0' || type === '\0' || type === '7';
        if (isFile && MANIFEST_PATH.test(name) && size <= MAX_MANIFEST_BYTES) {
          wanted = size;
        } else {
          skip = Math.ceil(size / BLOCK) * BLOCK;
        }
      }
    }
    return undefined;
  } catch {
    if (sourceError) throw sourceError;
    return undefined;
  } finally {
    gunzip.destroy();
    tarball.unpipe(gunzip);
    tarball.destroy();
  }
}

function parseManifest(bytes: Buffer): Record<string, unknown> | undefined {
  try {
    // Some publishers wrote a byte-order mark.
    const parsed = JSON.parse(bytes.toString('utf8').replace(/^\uFEFF/, ''));
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
