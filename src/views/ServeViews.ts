import { DiscoveryService, LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { BackpackStores } from '../database/createBackpackStores';
import { readHelmProcessorSettings } from '../processors/helm/helmConfig';
import { BlobStore } from '../storage/BlobStore';
import { readParsingLimits } from '../upstream/limits';
import { CargoView } from './cargoView';
import { GoView } from './goView';
import { ComposerView } from './composer/ComposerView';
import { HelmView } from './helm/HelmView';
import { FilesView } from './filesView';
import { HuggingfaceView } from './huggingface/HuggingfaceView';
import { MavenView } from './mavenView';
import { NpmView } from './npmView';
import { NugetView } from './nuget/NugetView';
import { OciView } from './oci/OciView';
import { PypiView } from './pypiView';
import { ArchiveLinks } from './terraform/archiveLinks';
import { TerraformView } from './terraform/TerraformView';

/** The read-only registry views over the mirror that native clients install from. */
export interface ServeViews {
  npm: NpmView;
  pypi: PypiView;
  maven: MavenView;
  /** The OCI distribution view, mounted at `/v2/` on the backend's origin. */
  oci: OciView;
  /** The NuGet v3 feed. */
  nuget: NugetView;
  /** The Cargo sparse registry view at `/cargo/`. */
  cargo: CargoView;
  /** The GOPROXY view at `/go/`. */
  go: GoView;
  /** The Composer repository. */
  composer: ComposerView;
  /** The Helm repository view: `<alias>/index.yaml` per chart repository, and the charts. */
  helm: HelmView;
  /** Release files and plain files at `/files/`. */
  files: FilesView;
  /** Terraform's provider network mirror. */
  terraform: TerraformView;
  /** The Hugging Face Hub view at `/huggingface/` (`HF_ENDPOINT`). */
  huggingface: HuggingfaceView;
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
  const isPublic = options.config.getOptionalBoolean('backpack.serve.public') ?? false;
  // What the views that write absolute URLs (to tarballs, dists, packages) share.
  const linking = { stores, blobStore, baseUrl: () => discovery.getExternalBaseUrl('backpack') };
  return {
    npm: new NpmView({ ...linking, logger, tarballLimits: readParsingLimits(options.config).tarball }),
    pypi: new PypiView({ stores, blobStore }),
    maven: new MavenView({ stores, blobStore }),
    oci: new OciView({ stores, blobStore }),
    nuget: new NugetView({ ...linking, logger }),
    cargo: new CargoView({ ...linking, authRequired: !isPublic }),
    go: new GoView({ stores, blobStore }),
    composer: new ComposerView({ ...linking, logger }),
    helm: createHelmView(options),
    files: new FilesView({ stores, blobStore }),
    terraform: new TerraformView({
      stores,
      blobStore,
      logger,
      links: ArchiveLinks.fromConfig(options.config.getOptionalConfig('backpack.serve.terraform')),
    }),
    huggingface: new HuggingfaceView({ stores, blobStore }),
    public: isPublic,
  };
}

/** The Helm view over the repositories of `backpack.processors.helm`. */
function createHelmView(options: Parameters<typeof createServeViews>[0]): HelmView {
  const helm = readHelmProcessorSettings(options.config.getOptionalConfig('backpack.processors.helm'));
  return new HelmView({
    stores: options.stores,
    blobStore: options.blobStore,
    repositories: helm.repositories,
    limits: { ...readParsingLimits(options.config).tarball, maxFileBytes: helm.maxChartFileBytes },
  });
}
