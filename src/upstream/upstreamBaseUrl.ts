import { InputError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import { z } from 'zod';
import { redactUrl } from './urls';

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

/** A base URL in one spelling: parsed, without trailing slashes. */
function canonicalBaseUrl(url: string): string | undefined {
  try {
    return new URL(url.replace(/\/+$/, '')).href.replace(/\/+$/, '');
  } catch {
    return undefined;
  }
}

/**
 * The allowed base URL an artifact's upstream override names, or undefined
 * when it names none: an artifact must not point the backend at hosts or
 * paths the operator did not configure.
 */
export function findAllowedUpstream(url: string, allowed: readonly string[]): string | undefined {
  const wanted = canonicalBaseUrl(url);
  if (wanted === undefined) return undefined;
  return allowed.find(candidate => canonicalBaseUrl(candidate) === wanted);
}

/** The message of a refused override; shows the URL without credentials or query. */
function refusal(url: string, options: UpstreamOverride): string {
  return `'${redactUrl(url)}' is not an allowed ${options.field} (configure ${options.configKey})`;
}

/** An upstream a per-artifact config key may override, and what it may name. */
export interface UpstreamOverride {
  /** The configured upstream base URL, used when the artifact names none. */
  defaultUrl: string;
  /** Other base URLs the artifact may name. */
  allowed: readonly string[];
  /** The config key, e.g. `registry`; also the noun of the message. */
  field: string;
  /** The setting that lists the allowed base URLs. */
  configKey: string;
}

/**
 * Resolves an artifact's upstream override at discovery time, checked
 * again because stored configs and inherited dependency configs bypass the
 * API's validation. An InputError naming the field otherwise.
 */
export function allowedUpstreamOverride(
  url: string | undefined,
  options: UpstreamOverride,
): string {
  if (url === undefined) return options.defaultUrl;
  const found = findAllowedUpstream(url, [options.defaultUrl, ...options.allowed]);
  if (found === undefined) {
    throw new InputError(`config.${options.field}: ${refusal(url, options)}`);
  }
  return found;
}

/**
 * A processor's per-artifact config schema that also refuses an upstream
 * override (`field`) naming anything but the configured upstream or one
 * of `allowed`, so create, update and preview answer 400 naming
 * `config.<field>` before any request is made.
 */
export function restrictUpstreamOverride<T extends z.ZodType<JsonObject>>(
  schema: T,
  options: UpstreamOverride,
): T {
  return schema.superRefine((value, ctx) => {
    const url = (value as Record<string, unknown>)?.[options.field];
    if (typeof url !== 'string') return;
    if (findAllowedUpstream(url, [options.defaultUrl, ...options.allowed]) === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [options.field],
        message: refusal(url, options),
      });
    }
  }) as T;
}
