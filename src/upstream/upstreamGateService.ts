import {
  coreServices,
  createServiceFactory,
  createServiceRef,
} from '@backstage/backend-plugin-api';
import { ReaderFactory, urlReaderFactoriesServiceRef } from '@backstage/backend-defaults/urlReader';
import { Config } from '@backstage/config';
import { GatedUrlReader } from './GatedUrlReader';
import { UpstreamTransport } from './UpstreamTransport';

/**
 * Backpack's upstream gate of one plugin instance: the transport (and with
 * it the one host policy) that discovery, collection and Backpack's URL
 * reader share, so hosts processors register while the plugin is built
 * are the hosts the reader claims.
 */
export class BackpackUpstreamGate {
  private created?: { transport: UpstreamTransport; reader: GatedUrlReader };
  private installed = false;

  /** A gate for `backpack.upstream`, allowing `backpack.allowedHosts` as the operator's. */
  static fromConfig(config: Config): BackpackUpstreamGate {
    return new BackpackUpstreamGate(() => UpstreamTransport.fromConfig(config));
  }

  /** Created on first use: other plugins' instances never create one. */
  constructor(private readonly createTransport: () => UpstreamTransport) {}

  get transport(): UpstreamTransport {
    return this.parts().transport;
  }

  get reader(): GatedUrlReader {
    return this.parts().reader;
  }

  /**
   * Backpack's entry of a UrlReaderService: the URLs whose host the
   * policy names, on any port, are read by Backpack's reader, whatever
   * `backend.reading.allow` or `integrations.*` say about that host.
   */
  readonly readerFactory: ReaderFactory = () => {
    this.installed = true;
    return [{ predicate: url => this.transport.policy.owns(url), reader: this.reader }];
  };

  /** Whether a UrlReaderService was built with {@link BackpackUpstreamGate.readerFactory}. */
  get readerInstalled(): boolean {
    return this.installed;
  }

  private parts() {
    if (!this.created) {
      const transport = this.createTransport();
      this.created = { transport, reader: new GatedUrlReader(transport) };
    }
    return this.created;
  }
}

/** The upstream gate of the plugin it is asked for; one instance per plugin. */
export const backpackUpstreamGateServiceRef = createServiceRef<BackpackUpstreamGate>({
  id: 'backpack.upstreamGate',
  scope: 'plugin',
  defaultFactory: async service =>
    createServiceFactory({
      service,
      deps: { config: coreServices.rootConfig },
      factory: ({ config }) => BackpackUpstreamGate.fromConfig(config),
    }),
});

/**
 * Adds Backpack's URL reader to the backpack plugin's UrlReaderService,
 * ahead of Backstage's readers, so the hosts Backpack's host policy names
 * are read under its checks. Other plugins' readers are left as they are.
 * Part of the package's default export; add it yourself only when adding
 * `backpackPlugin` on its own.
 *
 * @public
 */
export const backpackUrlReaderFactories = createServiceFactory({
  service: urlReaderFactoriesServiceRef,
  deps: { plugin: coreServices.pluginMetadata, gate: backpackUpstreamGateServiceRef },
  async factory({ plugin, gate }): Promise<ReaderFactory> {
    return plugin.getId() === 'backpack' ? gate.readerFactory : () => [];
  },
});
