import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

const BLOCK = 512;

/** Bounds on reading an archive that came from an upstream. */
export interface TarReadLimits {
  /** Bytes inflated before giving up. */
  maxInflatedBytes: number;
  /** Tar entries looked at before giving up. */
  maxEntries: number;
  /** Largest entry (and pax/GNU long-name record) read whole. */
  maxEntryBytes: number;
}

/** What a caller wants from an archive. */
export interface TarEntryQuery {
  /** Whether the regular file at this path is wanted; paths are as the archive spells them. */
  wants(path: string): boolean;
  /** Stop once this many wanted entries are read (default: read to the end). */
  stopAfter?: number;
}

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

/** Whether a path could climb out of wherever it is unpacked; such entries are never offered. */
function isUnsafePath(path: string): boolean {
  return path.startsWith('/') || path.split('/').some(segment => segment === '..');
}

/**
 * Reads the wanted regular files of a gzipped tar as a stream, without
 * ever writing anything: ustar, pax and GNU long names. Returns the
 * entries read by path, possibly incomplete when the archive ends, is
 * unreadable, or exceeds a limit (the caller decides whether what it got
 * is enough); throws only when the source stream fails. Absolute paths
 * and paths with `..` segments are never offered to `wants`, and an entry
 * over `maxEntryBytes` is skipped. The source is always consumed or
 * destroyed.
 */
export async function readTarEntries(
  source: Readable,
  query: TarEntryQuery,
  limits: TarReadLimits,
): Promise<Map<string, Buffer>> {
  const found = new Map<string, Buffer>();
  const gunzip = createGunzip();
  let sourceError: unknown;
  source.on('error', error => {
    sourceError = error;
    gunzip.destroy(error);
  });
  source.pipe(gunzip);

  let buffer: Buffer = Buffer.alloc(0);
  /** Bytes of entry data (and padding) still to skip. */
  let skip = 0;
  /** Collecting a wanted entry's bytes. */
  let wanted: { path: string; size: number } | undefined;
  /** A name given by a pax or GNU long-name header for the next entry. */
  let nextName: string | undefined;
  /** Reading a pax or GNU long-name header's data. */
  let meta: { type: string; size: number } | undefined;
  let inflated = 0;
  let entries = 0;
  const done = () => query.stopAfter !== undefined && found.size >= query.stopAfter;

  try {
    for await (const chunk of gunzip) {
      inflated += (chunk as Buffer).length;
      if (inflated > limits.maxInflatedBytes) return found;
      buffer = buffer.length ? Buffer.concat([buffer, chunk as Buffer]) : (chunk as Buffer);
      for (;;) {
        if (skip > 0) {
          const skipped = Math.min(skip, buffer.length);
          buffer = buffer.subarray(skipped);
          skip -= skipped;
          if (skip > 0) break;
        }
        if (wanted) {
          const padded = Math.ceil(wanted.size / BLOCK) * BLOCK;
          if (buffer.length < wanted.size) break;
          found.set(wanted.path, Buffer.from(buffer.subarray(0, wanted.size)));
          if (done()) return found;
          skip = padded;
          wanted = undefined;
          continue;
        }
        if (meta) {
          const padded = Math.ceil(meta.size / BLOCK) * BLOCK;
          if (buffer.length < padded) break;
          const data = buffer.subarray(0, meta.size);
          nextName = meta.type === 'x' ? paxPath(data) ?? nextName : cString(data, 0, data.length);
          buffer = buffer.subarray(padded);
          meta = undefined;
          continue;
        }
        if (buffer.length < BLOCK) break;
        const header = buffer.subarray(0, BLOCK);
        buffer = buffer.subarray(BLOCK);
        if (header.every(byte => byte === 0)) return found;
        entries += 1;
        if (entries > limits.maxEntries) return found;
        const size = numeric(header, 124, 12);
        const type = String.fromCharCode(header[156] || 0x30);
        if (type === 'x' || type === 'L') {
          if (size > limits.maxEntryBytes) return found;
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
        const path = name.replace(/^\.\//, '');
        const isFile = type === '0' || type === '\0' || type === '7';
        if (isFile && size <= limits.maxEntryBytes && !isUnsafePath(path) && query.wants(path)) {
          wanted = { path, size };
        } else {
          skip = Math.ceil(size / BLOCK) * BLOCK;
        }
      }
    }
    return found;
  } catch {
    if (sourceError) throw sourceError;
    return found;
  } finally {
    gunzip.destroy();
    source.unpipe(gunzip);
    source.destroy();
  }
}
