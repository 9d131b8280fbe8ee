import { DiscoveryService, LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { BackpackStores } from '../database/createBackpackStores';
import { BlobStore } from '../storage/BlobStore';
import { readParsingLimits } from '../upstream/limits';
import { MavenView } from './mavenView';
import { NpmView } from './npmView';
import { NugetView } from './nuget/NugetView';
import { OciView } from './oci/OciView';
import { PypiView } from './pypiView';

/** The read-only registry views over the mirror that native clients install from. */
export interface ServeViews {
  npm: NpmView;
  pypi: PypiView;
  maven: MavenView;
  /** The OCI distribution view, mounted at `/v2/` on the backend's origin. */
  oci: OciView;
  /** The NuGet v3 feed. */
  nuget: NugetView;
  /** `backpack.serve.public`: the views answer without credentials. */
  public: boolean;
}

/** Creates the registry views over the mirror's store and blob store. */
export function createServeViews(options: {
  config: Config;
  stores: Pick<BackpackStores, 'mirror'>;
  blobStore: BlobStore;
  discovery: DiscoveryService;
  logger: LoggerService;
}): ServeViews {
  const { stores, blobStore, discovery, logger } = options;
  return {
    npm: new NpmView({
      stores,
      blobStore,
      baseUrl: () => discovery.getExternalBaseUrl('backpack'),
      logger,
      tarballLimits: readParsingLimits(options.config).tarball,
    }),
    pypi: new PypiView({ stores, blobStore }),
    maven: new MavenView({ stores, blobStore }),
    oci: new OciView({ stores, blobStore }),
    nuget: new NugetView({
      stores,
      blobStore,
      baseUrl: () => discovery.getExternalBaseUrl('backpack'),
      logger,
    }),
    public: options.config.getOptionalBoolean('backpack.serve.public') ?? false,
  };
}
