import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import { z } from 'zod';
import { HostPolicy } from './HostPolicy';
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

/** A processor's upstream as its config block sets it. */
export interface ConfiguredUpstream extends UpstreamOverride {
  /** Whether the operator set the base URL; otherwise it is the built-in default. */
  configured: boolean;
}

/**
 * Reads a processor's upstream from its config block: the base URL
 * (`<prefix>.<field>`, or the built-in `defaultUrl`) and the others an
 * artifact may name (`<prefix>.<allowedKey>`), each checked by
 * {@link upstreamBaseUrl}.
 */
export function readConfiguredUpstream(
  config: Config | undefined,
  options: { prefix: string; field: string; allowedKey: string; defaultUrl: string },
): ConfiguredUpstream {
  const { prefix, field, allowedKey } = options;
  const configuredUrl = config?.getOptionalString(field);
  return {
    defaultUrl: upstreamBaseUrl(configuredUrl ?? options.defaultUrl, `${prefix}.${field}`),
    allowed: (config?.getOptionalStringArray(allowedKey) ?? []).map(url =>
      upstreamBaseUrl(url, `${prefix}.${allowedKey}`),
    ),
    field,
    configKey: `${prefix}.${allowedKey}`,
    configured: configuredUrl !== undefined,
  };
}

/**
 * Lets a processor's upstream through the host policy and returns its
 * hosts. Hosts the operator configured may resolve to internal addresses;
 * the built-in default only ever to public ones.
 */
export function allowConfiguredUpstream(policy: HostPolicy, upstream: ConfiguredUpstream): string[] {
  const hosts = [upstream.defaultUrl, ...upstream.allowed].map(url => new URL(url).host);
  policy.allow([hosts[0]], upstream.configured ? 'operator' : 'default');
  policy.allow(hosts.slice(1), 'operator');
  return hosts;
}
