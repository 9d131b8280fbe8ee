import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { Readable, Transform } from 'node:stream';
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
  const size = Number(headers['content-length']);
  let decoder: Transform | undefined;
  // An announced size over the cap is refused first, whatever the coding.
  if (!(size > options.maxBytes)) {
    try {
      decoder = decoderFor(headers['content-encoding']);
    } catch (error) {
      destroyQuietly(body);
      throw error;
    }
  }
  return readBoundedStream(body, { ...options, url: response.url, size, decoder });
}

/**
 * Reads a stream into memory under `maxBytes`, as {@link readBoundedBody}
 * does for the transport's responses: for bodies any URL reader streams.
 * `size` is the announced length, refused before reading when over the
 * cap; `decoder` undoes a content coding. The stream is always consumed or
 * destroyed.
 *
 * @throws ResponseTooLargeError
 */
export async function readBoundedStream(
  body: Readable,
  options: {
    maxBytes: number;
    limitName: string;
    /** Names the document in the error. */
    url: string;
    size?: number;
    decoder?: Transform;
  },
): Promise<Buffer> {
  const tooLarge = () =>
    new ResponseTooLargeError(
      `${redactUrl(options.url)}: the response is larger than ${options.limitName} (${options.maxBytes} bytes)`,
    );
  if (options.size !== undefined && Number.isFinite(options.size) && options.size > options.maxBytes) {
    destroyQuietly(body);
    throw tooLarge();
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
  if (options.decoder) {
    await pipeline(body, options.decoder, collect);
  } else {
    // Iterated directly rather than through pipeline(), which makes an
    // AbortController per call, once per document a walk reads; leaving
    // the loop early (too large, an error) destroys the body all the same.
    await collect(body);
  }
  return Buffer.concat(chunks, total);
}

/**
 * Consumes a body that is not needed (an error, 304 or 404 answer) so the
 * connection can be reused, without reading more than a little of it.
 */
export async function discardBody(body: OpenedResponse['body']): Promise<void> {
  const limit = 64 * 1024;
  // undici's bodies drain themselves under a limit without an async
  // iterator: a run sends one conditional request per package and
  // discards thousands of empty 304 bodies.
  const dump = (body as Readable & { dump?: (options: { limit: number }) => Promise<unknown> }).dump;
  if (typeof dump === 'function') {
    try {
      await dump.call(body, { limit });
    } catch {
      // Nothing of it was wanted.
    } finally {
      if (!body.destroyed) destroyQuietly(body);
    }
    return;
  }
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
function destroyQuietly(body: Readable): void {
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
