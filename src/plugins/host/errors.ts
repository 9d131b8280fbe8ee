import { CustomErrorBase } from '@backstage/errors';

/**
 * The plugin could not serve the request: it failed to start, crashed,
 * broke the protocol, or its host was closed. The request was not answered;
 * asking again later may succeed (the host restarts the plugin).
 *
 * @public
 */
export class PluginUnavailableError extends CustomErrorBase {
  name = 'PluginUnavailableError' as const;
}

/**
 * The plugin did not answer in time (`timeoutMs`).
 *
 * @public
 */
export class PluginTimeoutError extends CustomErrorBase {
  name = 'PluginTimeoutError' as const;
}

/**
 * The plugin answered the request with an error. `code` is the plugin's
 * own short code (e.g. `not-found`, `invalid-input`), when it gave one.
 *
 * @public
 */
export class PluginRequestError extends CustomErrorBase {
  name = 'PluginRequestError' as const;

  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/**
 * A message to or from the plugin is larger than `maxMessageBytes`.
 *
 * @public
 */
export class PluginMessageTooLargeError extends CustomErrorBase {
  name = 'PluginMessageTooLargeError' as const;
}
