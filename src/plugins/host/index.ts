/**
 * The stdio plugin host: runs a program in any language as a subprocess and
 * talks newline-delimited JSON with it (see `protocol.ts` for the wire
 * format, `PluginHost` for the lifecycle). One host per configured plugin:
 *
 * ```ts
 * const host = new PluginHost({
 *   label: 'admission corp-policy',
 *   command: ['python3', 'policy.py'],
 *   env: { POLICY_URL: '…' },
 *   logger,
 *   protocol: 'backpack-admission',
 *   protocolVersions: [1],
 *   parseHandshake: answer => answer, // check what the protocol needs
 *   methods: {}, // what the plugin may call on the host
 *   timeoutMs: 10_000,
 * });
 * const verdict = await host.request('check', { processor, id, version });
 * // at shutdown
 * await host.close();
 * ```
 */
export { PluginHost } from './PluginHost';
export type { PluginHostOptions, PluginRequestOptions } from './PluginHost';
export type { PluginMethodHandler } from './PluginProcess';
export { DEFAULT_PLUGIN_HOST_LIMITS } from './limits';
export type { PluginHostLimits } from './limits';
export {
  PluginMessageTooLargeError,
  PluginRequestError,
  PluginTimeoutError,
  PluginUnavailableError,
} from './errors';
export { pluginEnvironment } from './pluginEnv';
