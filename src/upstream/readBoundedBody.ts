import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { Transform } from 'node:stream';
import { ResponseTooLargeError } from './errors';
import { OpenedResponse } from './UpstreamTransport';
import { redactUrl } from './urls';

/** What a metadata request accepts: compressed documents, inflated under the same cap. */
export const METADATA_ACCEPT_ENCODING = 'gzip, deflate, br';

function decoderFor(encoding: string | string[] | undefined): Transform | undefined {
  const value = (Array.isArray(encoding) ? encoding.join(',') : encoding ?? '').trim().toLowerCase();
  if (value === '' || value === 'identity') return undefined;
  if (value === 'gzip' || value === 'x-gzip') return createGunzip();
  if (value === 'deflate') return createInflate();
  if (value === 'br') return createBrotliDecompress();
  throw new Error(`unsupported content-encoding '${value.slice(0, 40)}'`);
}

/**
 * Reads a response body into memory, decoding its content-encoding, and
 * fails as soon as more than `maxBytes` (after decoding) arrived: a
 * Content-Length over the cap is refused before reading, and a running
 * count stops anything else, so a huge or endless document, or a
 * decompression bomb, costs at most the cap. The body is always consumed
 * or destroyed.
 *
 * @throws ResponseTooLargeError
 */
export async function readBoundedBody(
  response: OpenedResponse,
  options: { maxBytes: number; limitName: string },
): Promise<Buffer> {
  const { body, headers } = response;
  const tooLarge = () =>
    new ResponseTooLargeError(
      `${redactUrl(response.url)}: the response is larger than ${options.limitName} (${options.maxBytes} bytes)`,
    );
  let decoder: Transform | undefined;
  try {
    const length = Number(headers['content-length']);
    if (Number.isFinite(length) && length > options.maxBytes) throw tooLarge();
    decoder = decoderFor(headers['content-encoding']);
  } catch (error) {
    destroyQuietly(body);
    throw error;
  }

  const chunks: Buffer[] = [];
  let total = 0;
  const collect = async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) {
      total += chunk.length;
      if (total > options.maxBytes) throw tooLarge();
      chunks.push(chunk);
    }
  };
  if (decoder) {
    await pipeline(body, decoder, collect);
  } else {
    await pipeline(body, collect);
  }
  return Buffer.concat(chunks, total);
}

/**
 * Consumes a body that is not needed (an error, 304 or 404 answer) so the
 * connection can be reused, without reading more than a little of it.
 */
export async function discardBody(body: OpenedResponse['body']): Promise<void> {
  const limit = 64 * 1024;
  let total = 0;
  try {
    for await (const chunk of body) {
      total += (chunk as Buffer).length;
      if (total > limit) break;
    }
  } catch {
    // Nothing of it was wanted.
  } finally {
    destroyQuietly(body);
  }
}

/** Destroys a body nobody reads any more; undici reports that as an error event. */
function destroyQuietly(body: OpenedResponse['body']): void {
  body.on('error', () => {});
  body.destroy();
}

/**
 * Parses an upstream JSON document. The error names the URL only: V8's
 * messages quote the input, and nothing an upstream sent is echoed.
 */
export function parseUpstreamJson<T>(body: Buffer, url: string): T {
  try {
    return JSON.parse(body.toString('utf8')) as T;
  } catch {
    throw new Error(`${redactUrl(url)}: malformed JSON`);
  }
}
