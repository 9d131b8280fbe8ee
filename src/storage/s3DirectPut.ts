import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

/** The request the SDK's HTTP handler sends; typed from the client so no SDK-internal package is imported. */
type SdkRequest = Parameters<S3Client['config']['requestHandler']['handle']>[0];
/** The SDK's SigV4 signer for the bucket's endpoint, as the client resolves it. */
type SdkSigner = Awaited<ReturnType<S3Client['config']['signer']>>;

/** What every PutObject into the bucket shares, taken from the SDK's own request. */
interface PutTarget {
  protocol: string;
  hostname: string;
  port?: number;
  /** The path before the escaped key: `/<bucket>/` path-style, `/` virtual-hosted. */
  basePath: string;
  query: Record<string, string>;
  /** Headers of the SDK's request other than the body's length. */
  headers: Record<string, string>;
  signer: SdkSigner;
  signingRegion?: string;
  signingService?: string;
}

/**
 * A key segment as the SDK's REST serializer escapes a greedy `{Key+}`
 * label: encodeURIComponent, plus the characters it leaves alone that S3's
 * signature wants escaped.
 */
function escapeSegment(segment: string): string {
  return encodeURIComponent(segment).replace(/[!'()*]/g, c => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** An object key as the path of its PutObject. */
export function escapeKey(key: string): string {
  return key.split('/').map(escapeSegment).join('/');
}

/** A key with every character the escaping treats specially, so the probe proves it. */
const PROBE_KEY = "backpack-probe/a b+(c)!*'~ü.tgz";

/** Thrown by the probe's middleware to stop the SDK before anything is signed or sent. */
class ProbeDone extends Error {}

/**
 * Sends the PutObject of a small file's whole body with the SDK's own
 * endpoint, signer (SigV4, unsigned payload) and HTTP handler, but without
 * running the client's per-request middleware stack. That stack —
 * endpoint rules, schema serialization, retry bookkeeping, user agent,
 * checksum and S3-specific response handling, each spreading the client's
 * config — cost about 2 ms of CPU per small put here, more than the
 * request itself.
 *
 * What the stack would compute is taken from it once: {@link S3DirectPut.probe}
 * runs a real PutObject through it up to the point before signing and keeps
 * the endpoint, path, query and headers; every put only adds its key,
 * length and metadata. Anything the probe does not recognise (another auth
 * scheme than SigV4, e.g. S3 Express; a path that does not end in the key
 * as escaped here) leaves the store on the SDK's path.
 *
 * A put this path cannot complete returns false, and the caller sends the
 * same put through the SDK, with its retries and its modelled errors: a
 * PutObject of the same bytes to the same key may be repeated. After an
 * answer other than a server error (a redirect to the bucket's region,
 * denied access) this path stays off for the store.
 */
export class S3DirectPut {
  private refused = false;

  private constructor(
    private readonly client: S3Client,
    private readonly target: PutTarget,
  ) {}

  /**
   * Takes the bucket's PutObject target from the SDK; undefined when the
   * SDK's request is not one this path can reproduce.
   *
   * @param keyPrefix - the store's key prefix, which the probe key goes under
   */
  static async probe(client: S3Client, bucket: string, keyPrefix: string): Promise<S3DirectPut | undefined> {
    const key = `${keyPrefix}${PROBE_KEY}`;
    const command = new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.alloc(0), ContentLength: 0 });
    let target: PutTarget | undefined;
    command.middlewareStack.add(
      (_next, context) => async args => {
        target = await targetOf(client, args.request as SdkRequest, context, key);
        throw new ProbeDone();
      },
      // After the request is built (endpoint, path, headers), before the
      // retry and signing steps: nothing is signed or sent.
      { step: 'build', priority: 'low', name: 'backpackPutProbe' },
    );
    try {
      // With options, so the command resolves a stack of its own instead of
      // the client's cached one, which must not contain the probe.
      await client.send(command, {});
    } catch (error) {
      if (!(error instanceof ProbeDone)) return undefined;
    }
    return target && new S3DirectPut(client, target);
  }

  /** Whether this path may still be used. */
  get usable(): boolean {
    return !this.refused;
  }

  /**
   * Puts `body` at `key` (the object key, prefix included); true once S3
   * answered with success, false when the caller should send it through
   * the SDK instead.
   */
  async put(key: string, body: Buffer, metadata: Record<string, string> = {}): Promise<boolean> {
    if (this.refused) return false;
    const { target } = this;
    const headers: Record<string, string> = {
      ...target.headers,
      'content-length': String(body.length),
      // The collector hashed every byte against the upstream's digest.
      'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
    };
    for (const name of Object.keys(metadata)) headers[`x-amz-meta-${name.toLowerCase()}`] = metadata[name];
    const request: SdkRequest = {
      method: 'PUT',
      protocol: target.protocol,
      hostname: target.hostname,
      port: target.port,
      path: `${target.basePath}${escapeKey(key)}`,
      query: { ...target.query },
      headers,
      body,
    };
    try {
      const signed = await target.signer.sign(request, {
        // As the SDK signs: corrected by the clock skew it measured.
        signingDate: new Date(Date.now() + (this.client.config.systemClockOffset ?? 0)),
        signingRegion: target.signingRegion,
        signingService: target.signingService,
      });
      const { response } = await this.client.config.requestHandler.handle(signed as SdkRequest);
      await drain(response.body);
      const status: number = response.statusCode;
      if (status >= 200 && status < 300) return true;
      if (status < 500 && status !== 429) this.refused = true;
      return false;
    } catch {
      return false;
    }
  }
}

/** The probe's request as a target, or undefined when it is not a plain SigV4 PutObject of `key`. */
async function targetOf(
  client: S3Client,
  request: SdkRequest,
  context: { endpointV2?: { properties?: { authSchemes?: unknown[] } } },
  key: string,
): Promise<PutTarget | undefined> {
  const authScheme = context.endpointV2?.properties?.authSchemes?.[0] as Record<string, unknown> | undefined;
  const escaped = escapeKey(key);
  if (
    authScheme?.name !== 'sigv4' ||
    request?.method !== 'PUT' ||
    typeof request.path !== 'string' ||
    !request.path.endsWith(escaped)
  ) {
    return undefined;
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (name.toLowerCase() !== 'content-length' && typeof value === 'string') headers[name] = value;
  }
  // As the SDK's host header middleware adds it in a later build step.
  headers.host ??= request.port ? `${request.hostname}:${request.port}` : request.hostname;
  const query: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.query ?? {})) {
    if (typeof value !== 'string') return undefined;
    query[name] = value;
  }
  return {
    protocol: request.protocol,
    hostname: request.hostname,
    port: request.port,
    basePath: request.path.slice(0, request.path.length - escaped.length),
    query,
    headers,
    signer: await client.config.signer(authScheme as never),
    signingRegion: typeof authScheme.signingRegion === 'string' ? authScheme.signingRegion : undefined,
    signingService: typeof authScheme.signingName === 'string' ? authScheme.signingName : undefined,
  };
}

/** Reads a response body to its end, so its connection goes back to the pool. */
function drain(body: NodeJS.ReadableStream | undefined): Promise<void> {
  if (!body) return Promise.resolve();
  return new Promise((resolve, reject) => {
    body.on('end', resolve);
    body.on('error', reject);
    body.resume();
  });
}
