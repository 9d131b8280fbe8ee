/**
 * Writing tar archives (POSIX.1-2001 "pax" interchange format): a ustar
 * header per regular file, preceded by a pax extended header when the path
 * does not fit ustar's 100-byte ASCII name field or the size does not fit
 * its 11 octal digits. GNU tar, bsdtar and every tar library read this.
 *
 * Only what bundles need: regular files with fixed owner and mode.
 */

export const BLOCK_SIZE = 512;

/** The end-of-archive marker: two zero blocks. */
export const TAR_END = Buffer.alloc(2 * BLOCK_SIZE);

const MAX_USTAR_SIZE = 0o77777777777;

/** Zero bytes that pad `size` bytes of content to a whole block. */
export function tarPadding(size: number): Buffer {
  return Buffer.alloc((BLOCK_SIZE - (size % BLOCK_SIZE)) % BLOCK_SIZE);
}

function octal(value: number, width: number): string {
  // Width includes the terminating NUL.
  return `${Math.floor(value).toString(8).padStart(width - 1, '0')}\0`;
}

function ustarBlock(options: {
  name: string;
  size: number;
  mtime: number;
  type: '0' | 'x';
}): Buffer {
  const block = Buffer.alloc(BLOCK_SIZE);
  block.write(options.name, 0, 100, 'utf8');
  block.write(octal(0o644, 8), 100, 'ascii');
  block.write(octal(0, 8), 108, 'ascii'); // uid
  block.write(octal(0, 8), 116, 'ascii'); // gid
  block.write(octal(Math.min(options.size, MAX_USTAR_SIZE), 12), 124, 'ascii');
  block.write(octal(options.mtime, 12), 136, 'ascii');
  block.write(' '.repeat(8), 148, 'ascii'); // checksum placeholder
  block.write(options.type, 156, 'ascii');
  block.write('ustar\u000000', 257, 'ascii');
  let checksum = 0;
  for (const byte of block) checksum += byte;
  block.write(`${checksum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return block;
}

/** One pax record: `<length> <key>=<value>\n`, where length counts itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyLength = Buffer.byteLength(body);
  let length = bodyLength + String(bodyLength).length;
  if (String(length).length + bodyLength !== length) length += 1;
  return `${length}${body}`;
}

/**
 * The header of a regular file at `path` with `size` bytes of content; the
 * content follows, then {@link tarPadding}.
 *
 * @param mtime - modification time in seconds since the epoch
 */
export function tarHeader(path: string, size: number, mtime: number): Buffer {
  // eslint-disable-next-line no-control-regex
  const fitsUstar = Buffer.byteLength(path) <= 100 && /^[\x20-\x7e]*$/.test(path);
  const ustar = ustarBlock({ name: fitsUstar ? path : path.slice(0, 99).replace(/[^\x20-\x7e]/g, '_'), size, mtime, type: '0' });
  if (fitsUstar && size <= MAX_USTAR_SIZE) return ustar;

  const records =
    (fitsUstar ? '' : paxRecord('path', path)) +
    (size > MAX_USTAR_SIZE ? paxRecord('size', String(size)) : '');
  const data = Buffer.from(records, 'utf8');
  const pax = ustarBlock({ name: 'PaxHeaders/entry', size: data.length, mtime, type: 'x' });
  return Buffer.concat([pax, data, tarPadding(data.length), ustar]);
}
