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
