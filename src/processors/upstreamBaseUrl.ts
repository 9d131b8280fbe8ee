import { InputError } from '@backstage/errors';

/**
 * Validates a configured upstream base URL (http or https) and drops its
 * trailing slashes; errors name the config key.
 */
export function upstreamBaseUrl(url: string, configKey: string): string {
  const trimmed = url.replace(/\/+$/, '');
  let parsed: URL;
  try {
    parsed = new URL(trimmed);
  } catch {
    throw new InputError(`${configKey}: invalid URL '${url}'`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new InputError(`${configKey}: must be an http(s) URL`);
  }
  return trimmed;
}
