import { LoggerService } from '@backstage/backend-plugin-api';
import { InputError, NotFoundError, ServiceUnavailableError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import { z } from 'zod';
import { PluginHost, PluginRequestError } from '../../plugins/host';
import { UpstreamClient } from '../../upstream/UpstreamClient';
import {
  BackpackProcessor,
  DiscoverOptions,
  DiscoveryResult,
  DiscoveryValidators,
  ProcessorVersion,
} from '../types';
import { ExternalProcessorSettings } from './externalConfig';
import {
  parseProcessorHandshake,
  PROCESSOR_PROTOCOL,
  PROCESSOR_PROTOCOL_VERSIONS,
  ProcessorHandshake,
} from './handshake';
import { upstreamFetchMethod } from './fetchMethod';
import { deferredVersionScheme, versionSchemeNamed } from './versionSchemes';

/** Bounds of an artifact's config for a plugin: flat, small, plain values. */
const MAX_CONFIG_KEYS = 32;
const configValue = z.union([z.string().max(1024), z.number(), z.boolean()]);

/**
 * A processor served by a plugin process; {@link ExternalProcessor.close}
 * stops it.
 *
 * @public
 */
export interface ExternalProcessor extends BackpackProcessor {
  /** Starts the plugin if needed, so its version scheme is known. */
  warmUp(): Promise<void>;
  close(): Promise<void>;
  /** The plugin's process id while it runs. */
  readonly pid: number | undefined;
}

/** The plugin's error as the processor contract spells it. */
function translated(name: string, error: unknown): unknown {
  if (!(error instanceof PluginRequestError)) return error;
  if (error.code === 'not-found') return new NotFoundError(error.message);
  if (error.code === 'invalid-input') return new InputError(error.message);
  return new Error(`Processor ${name}: ${error.message}`);
}

/**
 * Creates the processor of one `backpack.processors.external` entry: each
 * discovery is a `discover` request to the plugin, whose answer goes
 * through the same checks as any processor's; the plugin reads upstreams
 * through the host's `fetch`, and its files are downloaded by the
 * collector, both under the host policy, where its `allowedHosts` are
 * registered as the operator's.
 *
 * @public
 */
export function createExternalProcessor(options: {
  settings: ExternalProcessorSettings;
  upstream: UpstreamClient;
  logger: LoggerService;
}): ExternalProcessor {
  const { settings, upstream, logger } = options;
  const { name } = settings;
  if (settings.allowedHosts.length > 0) upstream.policy.allow(settings.allowedHosts, 'operator');
  const configured = settings.versionScheme
    ? versionSchemeNamed(settings.versionScheme, 'versionScheme')
    : undefined;

  const host = new PluginHost<ProcessorHandshake>({
    label: `processor ${name}`,
    command: settings.command,
    env: settings.env,
    logger,
    protocol: PROCESSOR_PROTOCOL,
    protocolVersions: PROCESSOR_PROTOCOL_VERSIONS,
    handshakeParams: { processor: name },
    parseHandshake: answer => parseProcessorHandshake(answer, settings.versionScheme),
    methods: { fetch: upstreamFetchMethod(upstream) },
    timeoutMs: settings.timeoutMs,
    idleMs: settings.idleSeconds * 1000,
    graceMs: settings.graceMs,
    startTimeoutMs: settings.startTimeoutMs,
    maxMessageBytes: settings.maxMessageBytes,
    maxConcurrentRequests: settings.maxConcurrentRequests,
  });

  // What the handshake said; asking starts the plugin when it is not known
  // yet (say its start at backend start failed), so a later call has it.
  const known = (): ProcessorHandshake | undefined => {
    const info = host.info;
    if (!info) host.handshake().catch(() => undefined);
    return info;
  };

  const configSchema = z
    .record(z.string().min(1).max(64), configValue)
    .superRefine((config, ctx) => {
      const keys = Object.keys(config);
      if (keys.length > MAX_CONFIG_KEYS) {
        ctx.addIssue({ code: 'custom', message: `at most ${MAX_CONFIG_KEYS} keys` });
      }
      // Checked once the plugin said which keys it takes; it checks values itself.
      const allowed = known()?.configKeys;
      const unknown = allowed ? keys.filter(key => !allowed.includes(key)) : [];
      if (unknown.length > 0) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown ${name} config key(s): ${unknown.join(', ')} (allowed: ${allowed!.join(', ') || 'none'})`,
        });
      }
    }) as unknown as z.ZodType<JsonObject>;

  async function ask(method: string, params: unknown, signal?: AbortSignal) {
    let answer: unknown;
    try {
      answer = await host.request(method, params, { signal });
    } catch (error) {
      throw translated(name, error);
    }
    if (!answer || typeof answer !== 'object' || Array.isArray(answer)) {
      throw new Error(`Processor ${name} answered ${method} with something other than an object`);
    }
    return answer as Record<string, unknown>;
  }

  // The contents are checked as every processor's are (discoveryOutput).
  const describeVersion = async (
    request: { id: string; config: JsonObject; version: string },
    describeOptions: DiscoverOptions,
  ): Promise<ProcessorVersion> =>
    (await ask('describeVersion', request, describeOptions.signal)) as unknown as ProcessorVersion;

  return {
    name,
    get description() {
      return settings.description ?? host.info?.description ?? `External processor ${name}`;
    },
    configSchema,
    versions: deferredVersionScheme(name, () => configured ?? known()?.versionScheme),
    allowedHosts: () => settings.allowedHosts,
    normalizeId(id: string): string {
      const info = known();
      if (!info) {
        throw new ServiceUnavailableError(
          `id: processor ${name} has not started yet, so its id rules are unknown; try again shortly`,
        );
      }
      const ids = info.ids;
      const canonical = ids?.lowercase ? id.toLowerCase() : id;
      if (ids?.pattern && !ids.pattern.test(canonical)) {
        throw new InputError(`id: '${id}' is not a valid ${name} id (${ids.source})`);
      }
      return canonical;
    },
    get pid() {
      return host.pid;
    },
    // Only for plugins whose handshake says they describe versions on demand.
    get describeVersion() {
      return known()?.describesVersions ? describeVersion : undefined;
    },
    async discover(
      request: { id: string; config: JsonObject },
      discoverOptions: DiscoverOptions,
    ): Promise<DiscoveryResult> {
      const result = await ask(
        'discover',
        { id: request.id, config: request.config, validators: discoverOptions.validators },
        discoverOptions.signal,
      );
      if (result.notModified === true) return { notModified: true };
      if (!Array.isArray(result.versions)) {
        throw new Error(`Processor ${name} answered discover without a list of versions`);
      }
      return {
        notModified: false,
        versions: result.versions,
        tags: result.tags as Record<string, string> | undefined,
        validators: result.validators as DiscoveryValidators | undefined,
      };
    },
    async warmUp() {
      try {
        await host.handshake();
      } catch {
        // Logged by the host; the first request retries the start.
      }
    },
    close: () => host.close(),
  };
}
