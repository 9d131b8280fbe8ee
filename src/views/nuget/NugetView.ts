import { LoggerService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import { BackpackStores } from '../../database/createBackpackStores';
import { MirroredFile, MirroredVersion } from '../../database/MirrorReadStore';
import { StoredArtifact } from '../../database/ArtifactStore';
import { mapLimited } from '../../lib/mapLimited';
import { readZipEntry } from '../../lib/zipEntry';
import { normalizeNugetId, nugetPackageFileName } from '../../processors/nuget/nugetNames';
import { normalizeNugetVersion, nugetVersionScheme } from '../../processors/nuget/nugetVersion';
import { BlobStore } from '../../storage/BlobStore';
import { blobRangeReader } from '../../storage/blobRangeReader';
import { BoundedCache } from '../BoundedCache';
import { ServeAccess } from '../ServeAccess';
import { ServedDocument, ServedFile, servedBlob } from '../ServedContent';
import { nuspecDependencyGroups, NuspecDependencyGroup } from './nuspec';

const PROCESSOR = 'nuget';

/** A .nuspec is a few KB; more is not a manifest worth serving. */
const MAX_NUSPEC_BYTES = 1024 * 1024;
const NUSPEC_CACHE_SIZE = 20_000;
const NUSPEC_READS = 8;

/** Paths of the view below the plugin's base URL. */
export const NUGET_VIEW_PATHS = {
  serviceIndex: '/nuget/v3/index.json',
  flatContainer: '/nuget/v3-flatcontainer/',
  registrations: '/nuget/v3/registration/',
};

/** Options of {@link NugetView}. */
export interface NugetViewOptions {
  stores: Pick<BackpackStores, 'mirror'>;
  blobStore: BlobStore;
  /** The plugin's external base URL (`…/api/backpack`). */
  baseUrl: () => Promise<string>;
  logger: LoggerService;
}

/**
 * A NuGet v3 feed over the mirror: the service index, the flat container
 * (`PackageBaseAddress/3.0.0`: version lists, .nupkg, .nuspec) and
 * registration pages, listing mirrored versions only. A version's .nuspec
 * and dependency groups come from its stored .nupkg, as published.
 */
export class NugetView {
  private readonly nuspecs = new BoundedCache<string, string | null>(NUSPEC_CACHE_SIZE);

  constructor(private readonly options: NugetViewOptions) {}

  /** The service index, with the view's own resources. */
  async serviceIndex(): Promise<ServedDocument> {
    const base = await this.base();
    const registrations = `${base}${NUGET_VIEW_PATHS.registrations}`;
    return json({
      version: '3.0.0',
      resources: [
        { '@id': `${base}${NUGET_VIEW_PATHS.flatContainer}`, '@type': 'PackageBaseAddress/3.0.0' },
        ...['RegistrationsBaseUrl', 'RegistrationsBaseUrl/3.4.0', 'RegistrationsBaseUrl/3.6.0'].map(type => ({
          '@id': registrations,
          '@type': type,
        })),
      ],
    });
  }

  /** `{ versions }` of the flat container: mirrored versions, lower-case, ascending. */
  async versionList(id: string, access: ServeAccess): Promise<ServedDocument> {
    const { versions } = await this.mirrored(id, access);
    return json({ versions: versions.map(v => v.version.toLowerCase()) });
  }

  /** A collected .nupkg. */
  async nupkg(id: string, version: string, file: string, access: ServeAccess): Promise<ServedFile> {
    const found = await this.packageFile(id, version, access);
    if (!found || found.name !== file.toLowerCase()) {
      throw new NotFoundError(`${file} is not mirrored`);
    }
    return servedBlob(this.options.blobStore, found, 'application/octet-stream');
  }

  /** The .nuspec inside a collected .nupkg. */
  async nuspec(id: string, version: string, access: ServeAccess): Promise<ServedDocument> {
    const file = await this.packageFile(id, version, access);
    const xml = file && (await this.nuspecOf(file));
    if (!xml) throw new NotFoundError(`No readable .nuspec for ${id} ${version}`);
    return { contentType: 'application/xml', body: xml };
  }

  /** The registration index: one inline page with every mirrored version. */
  async registration(id: string, access: ServeAccess): Promise<ServedDocument> {
    const { artifact, versions } = await this.mirrored(id, access);
    const base = await this.base();
    const lowerId = artifact.id;
    const indexUrl = `${base}${NUGET_VIEW_PATHS.registrations}${lowerId}/index.json`;
    const groups = await mapLimited(versions, NUSPEC_READS, async v => {
      const xml = await this.nuspecOf(packageFileOf(artifact, v)!);
      return (xml ? nuspecDependencyGroups(xml) : undefined) ?? [];
    });
    const leaves = versions.map((v, i) => {
      const lower = v.version.toLowerCase();
      const leafUrl = `${base}${NUGET_VIEW_PATHS.registrations}${lowerId}/${lower}.json`;
      const packageContent = `${base}${NUGET_VIEW_PATHS.flatContainer}${lowerId}/${lower}/${nugetPackageFileName(lowerId, lower)}`;
      return {
        '@id': leafUrl,
        '@type': 'Package',
        catalogEntry: {
          '@id': leafUrl,
          '@type': 'PackageDetails',
          id: lowerId,
          version: v.version,
          listed: true,
          ...(v.publishedAt ? { published: v.publishedAt } : {}),
          packageContent,
          dependencyGroups: groups[i].map((g: NuspecDependencyGroup) => ({
            ...(g.targetFramework ? { targetFramework: g.targetFramework } : {}),
            dependencies: g.dependencies.map(d => ({ id: d.id, range: d.range ?? '' })),
          })),
        },
        packageContent,
        registration: indexUrl,
      };
    });
    return json({
      '@id': indexUrl,
      count: 1,
      items: [
        {
          '@id': `${indexUrl}#page`,
          count: leaves.length,
          lower: versions[0].version,
          upper: versions[versions.length - 1].version,
          items: leaves,
        },
      ],
    });
  }

  private async base(): Promise<string> {
    return (await this.options.baseUrl()).replace(/\/+$/, '');
  }

  private async mirrored(id: string, access: ServeAccess) {
    const lowerId = normalizeNugetId(id);
    const artifact = lowerId && (await this.options.stores.mirror.getArtifact(PROCESSOR, lowerId));
    if (!artifact || !access.canRead(artifact)) {
      throw new NotFoundError(`NuGet package '${id}' is not mirrored`);
    }
    const versions = (await this.options.stores.mirror.listMirroredVersions(artifact.ref))
      .filter(v => packageFileOf(artifact, v))
      .sort((a, b) => nugetVersionScheme.compare(a.version, b.version));
    if (versions.length === 0) throw new NotFoundError(`NuGet package '${id}' has no collected version`);
    return { artifact, versions };
  }

  private async packageFile(id: string, version: string, access: ServeAccess) {
    const lowerId = normalizeNugetId(id);
    const normalized = normalizeNugetVersion(version);
    if (!lowerId || !normalized) return undefined;
    const found = await this.options.stores.mirror.findCollectedFileOf({
      processor: PROCESSOR,
      id: lowerId,
      version: normalized,
      name: nugetPackageFileName(lowerId, normalized),
    });
    if (!found || !access.canRead(found.artifact)) return undefined;
    return found.file;
  }

  /** The .nuspec text in a stored .nupkg, read once per stored object. */
  private async nuspecOf(file: MirroredFile): Promise<string | undefined> {
    const key = `${file.storageKey}\0${file.sha256 ?? file.integrity?.digest ?? ''}`;
    const cached = this.nuspecs.get(key);
    if (cached !== undefined) return cached ?? undefined;
    const { blobStore, logger } = this.options;
    let entry;
    try {
      const size = file.size ?? (await blobStore.head(file.storageKey))?.size;
      // A missing object is not cached: it may be collected again.
      if (size === undefined) return undefined;
      entry = await readZipEntry(
        blobRangeReader(blobStore, file.storageKey),
        size,
        name => !name.includes('/') && name.toLowerCase().endsWith('.nuspec'),
        MAX_NUSPEC_BYTES,
      );
    } catch (error) {
      logger.warn(`Could not read ${file.storageKey}: ${error}`);
      return undefined;
    }
    const xml = entry?.content.toString('utf8');
    if (!xml) logger.warn(`No readable .nuspec in ${file.storageKey}`);
    this.nuspecs.set(key, xml ?? null);
    return xml;
  }
}

/** The .nupkg a version of an artifact was collected with. */
function packageFileOf(artifact: StoredArtifact, version: MirroredVersion): MirroredFile | undefined {
  const name = nugetPackageFileName(artifact.id, version.version);
  return version.files.find(f => f.name === name);
}

function json(value: unknown): ServedDocument {
  return { contentType: 'application/json', body: JSON.stringify(value) };
}
