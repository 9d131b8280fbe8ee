import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  IntegrityError,
  IntegrityExpectation,
  IntegrityStream,
} from './IntegrityStream';

async function run(data: Buffer, expected: IntegrityExpectation) {
  const stream = new IntegrityStream(expected);
  const received: Buffer[] = [];
  // Several chunks, so hashing across chunk boundaries is exercised.
  const chunks = [data.subarray(0, 1000), data.subarray(1000)];
  await pipeline(
    Readable.from(chunks),
    stream,
    new Writable({
      write(chunk, _encoding, callback) {
        received.push(chunk);
        callback();
      },
    }),
  );
  return { stream, received: Buffer.concat(received) };
}

const hex = (algorithm: string, data: Buffer) =>
  createHash(algorithm).update(data).digest('hex');

describe('IntegrityStream', () => {
  const data = randomBytes(64 * 1024);

  it.each(['sha512', 'sha384', 'sha256', 'sha1', 'md5'] as const)(
    'passes the bytes through and reports the digests for a good %s digest',
    async algorithm => {
      const { stream, received } = await run(data, {
        integrity: { algorithm, digest: hex(algorithm, data) },
        size: data.length,
      });
      expect(received.equals(data)).toBe(true);
      expect(stream.result).toEqual({
        size: data.length,
        sha256: hex('sha256', data),
        integrity: { algorithm, digest: hex(algorithm, data) },
      });
    },
  );

  it('computes sha256 and size when nothing is expected', async () => {
    const { stream } = await run(data, {});
    expect(stream.result).toEqual({
      size: data.length,
      sha256: hex('sha256', data),
      integrity: undefined,
    });
  });

  it('fails when one byte is flipped', async () => {
    const corrupted = Buffer.from(data);
    corrupted[5000] ^= 0x01;
    const stream = new IntegrityStream({
      integrity: { algorithm: 'sha512', digest: hex('sha512', data) },
      size: data.length,
    });
    await expect(
      pipeline(
        Readable.from([corrupted]),
        stream,
        new Writable({ write: (_c, _e, cb) => cb() }),
      ),
    ).rejects.toThrow(IntegrityError);
    expect(stream.result).toBeUndefined();
  });

  it('fails when the size is smaller than expected', async () => {
    await expect(
      run(data, {
        integrity: { algorithm: 'sha1', digest: hex('sha1', data) },
        size: data.length + 1,
      }),
    ).rejects.toThrow(/Size mismatch/);
  });

  it('fails when the size is larger than expected', async () => {
    await expect(run(data, { size: data.length - 1 })).rejects.toThrow(
      /Size mismatch/,
    );
  });

  it('accepts an upper-case expected digest', async () => {
    const { stream } = await run(data, {
      integrity: { algorithm: 'md5', digest: hex('md5', data).toUpperCase() },
    });
    expect(stream.result?.integrity?.digest).toBe(hex('md5', data));
  });

  describe('git-blob-sha1', () => {
    // `printf 'hello world\n' | git hash-object --stdin`, a known answer of git itself.
    const hello = Buffer.from('hello world\n');
    const HELLO_BLOB = '3b18e512dba79e4c8300dd08aeb37f8e728b8dad';

    it("matches git's object id of a blob", async () => {
      const { stream, received } = await run(hello, {
        integrity: { algorithm: 'git-blob-sha1', digest: HELLO_BLOB },
        size: hello.length,
      });
      expect(received.equals(hello)).toBe(true);
      expect(stream.result).toEqual({
        size: hello.length,
        sha256: hex('sha256', hello),
        integrity: { algorithm: 'git-blob-sha1', digest: HELLO_BLOB },
      });
    });

    it('is not the sha1 of the bytes alone', async () => {
      await expect(
        run(hello, { integrity: { algorithm: 'git-blob-sha1', digest: hex('sha1', hello) }, size: hello.length }),
      ).rejects.toThrow(/Digest mismatch: expected git-blob-sha1/);
    });

    it('checks bytes across chunks against the header of their size', async () => {
      const blob = createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');
      const { stream } = await run(data, {
        integrity: { algorithm: 'git-blob-sha1', digest: blob },
        size: data.length,
      });
      expect(stream.result?.integrity?.digest).toBe(blob);
    });

    it('refuses other bytes of the same size', async () => {
      const other = Buffer.from('hello World\n');
      await expect(
        run(other, { integrity: { algorithm: 'git-blob-sha1', digest: HELLO_BLOB }, size: other.length }),
      ).rejects.toThrow(IntegrityError);
    });

    it('cannot be checked without the size', () => {
      expect(() => new IntegrityStream({ integrity: { algorithm: 'git-blob-sha1', digest: HELLO_BLOB } })).toThrow(
        /only be checked when the size is known/,
      );
    });
  });
});
