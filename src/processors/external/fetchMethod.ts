import { z } from 'zod';
import { parseInput } from '../../lib/validation';
import { PluginMethodHandler } from '../../plugins/host';
import { UpstreamClient } from '../../upstream/UpstreamClient';

const fetchParams = z.strictObject({
  url: z.string().min(1).max(4096),
  accept: z.string().max(200).optional(),
  encoding: z.enum(['utf8', 'base64']).optional(),
  validators: z
    .strictObject({ etag: z.string().max(256).optional(), lastModified: z.string().max(256).optional() })
    .optional(),
});

/**
 * The `fetch` method external processors call to read metadata: a GET
 * through Backpack's upstream client, so the host policy, size caps,
 * retries and politeness apply to the plugin's reads as to a built-in's,
 * and the plugin needs no network access of its own. 404 and other 4xx
 * are answered with their status and an empty body; refusals, 5xx after
 * retries and oversized documents are errors.
 */
export function upstreamFetchMethod(upstream: UpstreamClient): PluginMethodHandler {
  return async (params, { signal }) => {
    const input = parseInput(fetchParams, params, { label: 'fetch' });
    const response = await upstream.get(input.url, {
      headers: input.accept ? { accept: input.accept } : {},
      validators: input.validators,
      signal,
    });
    return {
      url: response.url,
      status: response.status,
      notModified: response.notModified,
      contentType: response.headers.get('content-type') ?? undefined,
      validators: response.validators,
      body: response.body.toString(input.encoding === 'base64' ? 'base64' : 'utf8'),
    };
  };
}
