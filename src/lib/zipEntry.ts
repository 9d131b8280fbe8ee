import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import zlib from 'node:zlib';

const inflateRaw = promisify(zlib.inflateRaw);

/** Reads bytes `start` to `end` (inclusive) of the archive. */
export type RangeReader = (start: number, end: number) => Promise<Buffer>;

const END_OF_DIRECTORY = 0x06054b50;
const DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
/** The end record (22 bytes) plus the longest comment a zip may carry. */
const MAX_TAIL = 22 + 0xffff;
/** A central directory larger than this is not an archive worth reading a small entry from. */
const MAX_DIRECTORY_BYTES = 16 * 1024 * 1024;
/** Compressed bytes read at once while an entry is streamed. */
const STREAM_CHUNK_BYTES = 4 * 1024 * 1024;

/** An entry of a zip's central directory. */
export interface ZipDirectoryEntry {
  name: string;
  /** 0 stored, 8 deflated; others are not read. */
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  localOffset: number;
}

/**
 * The entries of a zip's central directory, in its order, read by ranged
 * reads (the end record, then the directory). Undefined when the archive
 * is unreadable or zip64. The bytes are upstream's and hostile: every
 * offset is checked against the size.
 */
export async function readZipDirectory(read: RangeReader, size: number): Promise<ZipDirectoryEntry[] | undefined> {
  if (size < 22) return undefined;
  const tailStart = Math.max(0, size - MAX_TAIL);
  const tail = await read(tailStart, size - 1);
  let end = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === END_OF_DIRECTORY) {
      end = i;
      break;
    }
  }
  if (end < 0) return undefined;
  const directorySize = tail.readUInt32LE(end + 12);
  const directoryOffset = tail.readUInt32LE(end + 16);
  if (directorySize > MAX_DIRECTORY_BYTES || directoryOffset + directorySize > tailStart + end) {
    return undefined;
  }
  const directory = directorySize ? await read(directoryOffset, directoryOffset + directorySize - 1) : Buffer.alloc(0);
  const entries: ZipDirectoryEntry[] = [];
  for (let at = 0; at + 46 <= directory.length; ) {
    if (directory.readUInt32LE(at) !== DIRECTORY_ENTRY) return undefined;
    const nameLength = directory.readUInt16LE(at + 28);
    entries.push({
      method: directory.readUInt16LE(at + 10),
      compressedSize: directory.readUInt32LE(at + 20),
      uncompressedSize: directory.readUInt32LE(at + 24),
      localOffset: directory.readUInt32LE(at + 42),
      name: directory.subarray(at + 46, at + 46 + nameLength).toString('utf8'),
    });
    at += 46 + nameLength + directory.readUInt16LE(at + 30) + directory.readUInt16LE(at + 32);
  }
  return entries;
}

/** Where an entry's compressed bytes start, from its local header; undefined when out of bounds. */
async function dataStartOf(read: RangeReader, size: number, entry: ZipDirectoryEntry): Promise<number | undefined> {
  if (entry.localOffset + 30 > size) return undefined;
  const local = await read(entry.localOffset, entry.localOffset + 29);
  if (local.readUInt32LE(0) !== LOCAL_HEADER) return undefined;
  const dataStart = entry.localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
  return dataStart + entry.compressedSize > size ? undefined : dataStart;
}

/**
 * Reads one small entry of a zip archive (a .nupkg's .nuspec, say) by
 * ranged reads: the end record, the central directory, then only that
 * entry's bytes, so a large archive is never read whole. Undefined when
 * the archive is unreadable, zip64, or has no matching entry; an entry
 * that would inflate beyond `maxBytes` is not read either.
 */
export async function readZipEntry(
  read: RangeReader,
  size: number,
  matches: (name: string) => boolean,
  maxBytes: number,
): Promise<{ name: string; content: Buffer } | undefined> {
  const entry = (await readZipDirectory(read, size))?.find(e => matches(e.name));
  if (!entry) return undefined;
  const { name, method, compressedSize, uncompressedSize } = entry;
  if (uncompressedSize > maxBytes || compressedSize > maxBytes) return undefined;
  const dataStart = await dataStartOf(read, size, entry);
  if (dataStart === undefined) return undefined;
  const data = compressedSize ? await read(dataStart, dataStart + compressedSize - 1) : Buffer.alloc(0);
  if (method === 0) return { name, content: data };
  if (method !== 8) return undefined;
  try {
    return { name, content: await inflateRaw(data, { maxOutputLength: maxBytes }) };
  } catch {
    return undefined;
  }
}

/**
 * The content of one entry, streamed: its compressed bytes are read in
 * ranges and inflated as they come, so an entry of any size takes little
 * memory. Throws for an entry out of bounds, of another method, or whose
 * content grows beyond the size the directory declares (a zip bomb).
 */
export async function* zipEntryContent(
  read: RangeReader,
  size: number,
  entry: ZipDirectoryEntry,
): AsyncIterable<Buffer> {
  const dataStart = await dataStartOf(read, size, entry);
  if (dataStart === undefined) throw new Error(`zip entry ${entry.name} lies outside the archive`);
  if (entry.method !== 0 && entry.method !== 8) throw new Error(`zip entry ${entry.name} uses compression method ${entry.method}`);
  async function* compressed() {
    for (let at = 0; at < entry.compressedSize; at += STREAM_CHUNK_BYTES) {
      const last = Math.min(entry.compressedSize, at + STREAM_CHUNK_BYTES) - 1;
      yield await read(dataStart! + at, dataStart! + last);
    }
  }
  const source = Readable.from(compressed());
  const content = entry.method === 0 ? source : source.pipe(zlib.createInflateRaw());
  if (content !== source) source.on('error', error => content.destroy(error));
  let produced = 0;
  for await (const chunk of content as AsyncIterable<Buffer>) {
    produced += chunk.length;
    if (produced > entry.uncompressedSize) {
      content.destroy();
      throw new Error(`zip entry ${entry.name} inflates beyond its declared ${entry.uncompressedSize} bytes`);
    }
    yield chunk;
  }
  if (produced !== entry.uncompressedSize) {
    throw new Error(`zip entry ${entry.name} has ${produced} bytes, not the declared ${entry.uncompressedSize}`);
  }
}
