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

/**
 * Reads one small entry of a zip archive (a .nupkg's .nuspec, say) by
 * ranged reads: the end record, the central directory, then only that
 * entry's bytes, so a large archive is never read whole. Undefined when
 * the archive is unreadable, zip64, or has no matching entry; an entry
 * that would inflate beyond `maxBytes` is not read either. The bytes are
 * upstream's and hostile: every offset is checked against the size.
 */
export async function readZipEntry(
  read: RangeReader,
  size: number,
  matches: (name: string) => boolean,
  maxBytes: number,
): Promise<{ name: string; content: Buffer } | undefined> {
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
  for (let at = 0; at + 46 <= directory.length; ) {
    if (directory.readUInt32LE(at) !== DIRECTORY_ENTRY) return undefined;
    const method = directory.readUInt16LE(at + 10);
    const compressedSize = directory.readUInt32LE(at + 20);
    const uncompressedSize = directory.readUInt32LE(at + 24);
    const nameLength = directory.readUInt16LE(at + 28);
    const extraLength = directory.readUInt16LE(at + 30);
    const commentLength = directory.readUInt16LE(at + 32);
    const localOffset = directory.readUInt32LE(at + 42);
    const name = directory.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    at += 46 + nameLength + extraLength + commentLength;
    if (!matches(name)) continue;
    if (uncompressedSize > maxBytes || compressedSize > maxBytes || localOffset + 30 > size) return undefined;
    const local = await read(localOffset, localOffset + 29);
    if (local.readUInt32LE(0) !== LOCAL_HEADER) return undefined;
    const dataStart = localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
    if (dataStart + compressedSize > size) return undefined;
    const data = compressedSize ? await read(dataStart, dataStart + compressedSize - 1) : Buffer.alloc(0);
    if (method === 0) return { name, content: data };
    if (method !== 8) return undefined;
    try {
      return { name, content: await inflateRaw(data, { maxOutputLength: maxBytes }) };
    } catch {
      return undefined;
    }
  }
  return undefined;
}
