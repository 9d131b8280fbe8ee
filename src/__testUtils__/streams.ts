import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

const KiB = 1024;

/** A deterministic body of `size` bytes, produced in 64 KiB chunks. */
export function generatedBody(
  size: number,
  options: { failAfter?: number; seed?: number } = {},
): Readable {
  let sent = 0;
  const limit = options.failAfter ?? size;
  return new Readable({
    read() {
      if (sent >= limit) {
        if (options.failAfter !== undefined) {
          this.destroy(new Error('upstream connection reset'));
        } else {
          this.push(null);
        }
        return;
      }
      const length = Math.min(64 * KiB, limit - sent);
      const chunk = Buffer.alloc(length);
      for (let i = 0; i < length; i += 4) {
        chunk.writeUInt32LE(
          ((sent + i) * 2654435761 + (options.seed ?? 0)) >>> 0,
          i,
        );
      }
      sent += length;
      this.push(chunk);
    },
  });
}

export async function sha256Of(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) {
    hash.update(chunk);
  }
  return hash.digest('hex');
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** A stream's bytes as UTF-8 text. */
export async function readText(stream: Readable): Promise<string> {
  return (await readAll(stream)).toString();
}
