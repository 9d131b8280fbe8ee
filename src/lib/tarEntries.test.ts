import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { TAR_END, tarHeader, tarPadding } from '../exports/tar';
import { readTarEntries } from './tarEntries';

const LIMITS = { maxInflatedBytes: 1024 * 1024, maxEntries: 100, maxEntryBytes: 1024 };

function archive(entries: Array<[string, string]>): Buffer {
  const parts: Buffer[] = [];
  for (const [path, content] of entries) {
    const bytes = Buffer.from(content);
    parts.push(tarHeader(path, bytes.length, 0), bytes, tarPadding(bytes.length));
  }
  return gzipSync(Buffer.concat([...parts, TAR_END]));
}

const read = (bytes: Buffer, wants: (path: string) => boolean, limits = LIMITS, stopAfter?: number) =>
  readTarEntries(Readable.from([bytes]), { wants, stopAfter }, limits);

describe('readTarEntries', () => {
  it('reads the wanted entries, long (pax) names too, and skips the rest', async () => {
    const long = `chart/${'d'.repeat(120)}/values.yaml`;
    const found = await read(archive([['chart/a.txt', 'A'], [long, 'long'], ['./chart/b.txt', 'B']]), p => p !== 'chart/a.txt');
    expect(Object.fromEntries([...found].map(([p, b]) => [p, b.toString()]))).toEqual({ [long]: 'long', 'chart/b.txt': 'B' });
  });

  it('never offers absolute paths or paths that climb out', async () => {
    const offered: string[] = [];
    await read(archive([['../evil', 'x'], ['/etc/passwd', 'x'], ['a/../../b', 'x'], ['ok/file', 'x']]), p => {
      offered.push(p);
      return true;
    });
    expect(offered).toEqual(['ok/file']);
  });

  it('skips entries over maxEntryBytes, stops at stopAfter, and gives up past the entry and inflation limits', async () => {
    const bytes = archive([['big', 'x'.repeat(2000)], ['one', '1'], ['two', '2']]);
    expect([...(await read(bytes, () => true)).keys()]).toEqual(['one', 'two']);
    expect([...(await read(bytes, () => true, LIMITS, 1)).keys()]).toEqual(['one']);
    expect((await read(bytes, () => true, { ...LIMITS, maxEntries: 1 })).size).toBe(0);
    expect((await read(bytes, () => true, { ...LIMITS, maxInflatedBytes: 100 })).size).toBe(0);
  });

  it('answers what it read for bytes that are not a gzipped tar, and throws when the source fails', async () => {
    expect((await read(Buffer.from('not gzip'), () => true)).size).toBe(0);
    const failing = new Readable({
      read() {
        this.destroy(new Error('storage went away'));
      },
    });
    await expect(readTarEntries(failing, { wants: () => true }, LIMITS)).rejects.toThrow('storage went away');
  });
});
