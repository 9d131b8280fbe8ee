import { LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { UpstreamClient } from '../upstream/UpstreamClient';
import { ParsingLimits } from '../upstream/limits';
import { BackpackProcessor } from './types';

/**
 * What a processor is created with: its config and the one way to reach
 * upstreams, behind Backpack's host policy.
 *
 * @public
 */
export interface BackpackProcessorContext {
  /** The root config; a processor reads its block, `backpack.processors.<name>`. */
  config: Config;
  logger: LoggerService;
  /**
   * HTTP client for metadata, gated by the host policy (per-hop checks,
   * connect-time address check, size and time limits, politeness). A
   * processor registers the hosts it talks to with `upstream.policy.allow`.
   * `read` sends plain GETs through the plugin's UrlReaderService (the
   * policy's hosts to Backpack's reader); `get` is for requests that need
   * headers, such as content negotiation.
   */
  upstream: UpstreamClient;
  /** Bounds on parsing what upstreams send (`backpack.limits`). */
  limits: ParsingLimits;
}

/**
 * Creates a processor from its context, or leaves it out (undefined), e.g.
 * when its config says `enabled: false`.
 *
 * @public
 */
export type BackpackProcessorFactory = (
  context: BackpackProcessorContext,
) => BackpackProcessor | undefined;
