import { Readable } from 'node:stream';

/**
 * Reads a stream whole into memory unless it holds more than `maxBytes`:
 * then it is destroyed and the answer is undefined. For small stored
 * objects (OCI manifests) whose bytes are needed at once.
 */
export async function readAtMost(body: Readable, maxBytes: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += (chunk as Buffer).length;
    if (total > maxBytes) {
      body.destroy();
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
