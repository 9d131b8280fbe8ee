import { createHash, randomBytes } from 'node:crypto';
import { zipArchive, ZipEntry } from '../__testUtils__/zipArchive';
import { zipDirHash } from './zipDirHash';
import { readZipDirectory, readZipEntry } from './zipEntry';

const LIMITS = { maxEntries: 100, maxUnpackedBytes: 10 * 1024 * 1024 };
const rangeOf = (zip: Buffer) => async (start: number, end: number) => zip.subarray(start, end + 1);

/** dirhash Hash1 from the entries themselves, not from any zip: the lines "<sha256>  <name>\n" sorted. */
function expectedH1(entries: ZipEntry[]): string {
  const lines = entries
    .map(e => `${createHash('sha256').update(e.content).digest('hex')}  ${e.path}\n`)
    .sort((a, b) => (a.split('  ')[1] < b.split('  ')[1] ? -1 : 1));
  return `h1:${createHash('sha256').update(lines.join('')).digest('base64')}`;
}

describe('zipDirHash', () => {
  const entries: ZipEntry[] = [
    { path: 'terraform-provider-widget_v1.0.0', content: randomBytes(9 * 1024 * 1024) },
    { path: 'LICENSE', content: 'MIT\n' },
    { path: 'docs/a.md', content: '' },
    { path: 'Zeta', content: 'upper case sorts before lower case\n' },
  ];

  it("is dirhash's Hash1 over the entries' contents, streamed from ranged reads", async () => {
    const zip = zipArchive(entries);
    const reads: Array<[number, number]> = [];
    const h1 = await zipDirHash(
      async (start, end) => {
        reads.push([start, end]);
        return zip.subarray(start, end + 1);
      },
      zip.length,
      LIMITS,
    );
    expect(h1).toBe(expectedH1(entries));
    // No single read takes the whole archive.
    expect(Math.max(...reads.map(([s, e]) => e - s + 1))).toBeLessThan(zip.length);
  });

  it('refuses archives over the limits, with newlines in names, or whose entries inflate beyond their declared size', async () => {
    const zip = zipArchive(entries);
    expect(await zipDirHash(rangeOf(zip), zip.length, { ...LIMITS, maxEntries: 3 })).toBeUndefined();
    expect(await zipDirHash(rangeOf(zip), zip.length, { ...LIMITS, maxUnpackedBytes: 1024 })).toBeUndefined();
    const newline = zipArchive([{ path: 'a\nb', content: 'x' }]);
    expect(await zipDirHash(rangeOf(newline), newline.length, LIMITS)).toBeUndefined();
    // Declare 10 bytes for the 9 MiB entry in the central directory: a zip bomb's lie.
    const lying = Buffer.from(zip);
    const directory = await readZipDirectory(rangeOf(zip), zip.length);
    // The central directory's start from the end record, not by searching
    // for its signature: 9 MiB of random content holds those four bytes by
    // chance about once in 450 runs.
    const endRecord = lying.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    const firstCentral = lying.readUInt32LE(endRecord + 16);
    lying.writeUInt32LE(10, firstCentral + 24);
    expect(directory?.[0].uncompressedSize).toBe(9 * 1024 * 1024);
    expect(await zipDirHash(rangeOf(lying), lying.length, LIMITS)).toBeUndefined();
    expect(await zipDirHash(rangeOf(Buffer.from('not a zip')), 9, LIMITS)).toBeUndefined();
  });

  it('leaves single-entry reads as they were', async () => {
    const zip = zipArchive(entries);
    const entry = await readZipEntry(rangeOf(zip), zip.length, name => name === 'LICENSE', 1024);
    expect(entry?.content.toString()).toBe('MIT\n');
    expect(await readZipEntry(rangeOf(zip), zip.length, name => name.startsWith('terraform'), 1024)).toBeUndefined();
  });
});
