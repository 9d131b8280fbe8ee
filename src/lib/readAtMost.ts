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
    // A stream in object mode may yield strings; they count as their bytes.
    const bytes: Buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    total += bytes.length;
    if (total > maxBytes) {
      body.destroy();
      return undefined;
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}
