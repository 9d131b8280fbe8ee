import { LoggerService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import { BackpackStores } from '../../database/createBackpackStores';
import { MirroredFile } from '../../database/MirrorReadStore';
import { mapLimited } from '../../lib/mapLimited';
import { normalizeComposerName } from '../../processors/composer/composerMetadata';
import { composerDistFileName } from '../../processors/composer/composerNames';
import { composerVersionScheme } from '../../processors/composer/composerVersionScheme';
import { BlobStore } from '../../storage/BlobStore';
import { blobRangeReader } from '../../storage/blobRangeReader';
import { BoundedCache } from '../BoundedCache';
import { ServeAccess } from '../ServeAccess';
import { ServedDocument, ServedFile, servedBlob } from '../ServedContent';
import {
  composerPackageDocument,
  composerVersionEntry,
  isDevVersion,
  readComposerManifest,
  sha1OfRanges,
  storedRecord,
} from './composerManifest';

const PROCESSOR = 'composer';
const CACHE_SIZE = 20_000;
const DIST_READS = 8;

/** Paths of the view below the plugin's base URL. */
export const COMPOSER_VIEW_PATHS = {
  root: '/composer',
  metadata: '/composer/p2/',
  dists: '/composer/dists/',
};

/** Options of {@link ComposerView}. */
export interface ComposerViewOptions {
  stores: Pick<BackpackStores, 'mirror'>;
  blobStore: BlobStore;
  /** The plugin's external base URL (`…/api/backpack`). */
  baseUrl: () => Promise<string>;
  logger: LoggerService;
}

/** What the view reads once from a stored dist. */
interface DistFacts {
  manifest?: Record<string, unknown>;
  sha1: string;
}

/**
 * A Composer v2 repository over the mirror: `packages.json` naming the
 * view's `metadata-url`, `p2/<vendor>/<name>.json` (and `~dev.json`) with
 * mirrored versions only, each as the upstream repository described it
 * (or, stored without that record, from the composer.json inside its
 * dist), and the dists themselves, with their sha1 as `shasum` (the
 * upstream's when it gave one, else computed once from the stored bytes).
 */
export class ComposerView {
  private readonly facts = new BoundedCache<string, DistFacts>(CACHE_SIZE);

  constructor(private readonly options: ComposerViewOptions) {}

  /** The root document: where package metadata is. */
  async packagesJson(): Promise<ServedDocument> {
    const base = await this.base();
    return json({ packages: [], 'metadata-url': `${base}${COMPOSER_VIEW_PATHS.metadata}%package%.json` });
  }

  /**
   * The p2 document of `<vendor>/<file>`, where file is `<name>.json` for
   * tagged versions or `<name>~dev.json` for development versions.
   */
  async metadata(vendor: string, file: string, access: ServeAccess): Promise<ServedDocument> {
    const match = /^(.+?)(~dev)?\.json$/.exec(file);
    const id = match ? normalizeComposerName(`${vendor}/${match[1]}`) : undefined;
    const artifact = id && (await this.options.stores.mirror.getArtifact(PROCESSOR, id));
    if (!id || !match || !artifact || !access.canRead(artifact)) {
      throw new NotFoundError(`Composer package '${vendor}/${file}' is not mirrored`);
    }
    const dev = Boolean(match[2]);
    const versions = (await this.options.stores.mirror.listMirroredVersions(artifact.ref))
      .filter(v => isDevVersion(v.version) === dev)
      .map(v => ({ version: v, file: v.files.find(f => f.name === composerDistFileName(id, v.version)) }))
      .filter((v): v is typeof v & { file: MirroredFile } => v.file !== undefined)
      .sort((a, b) => composerVersionScheme.compare(b.version.version, a.version.version));
    if (versions.length === 0) {
      throw new NotFoundError(`Composer package '${id}' has no collected ${dev ? 'development ' : ''}version`);
    }
    const base = await this.base();
    const entries = await mapLimited(versions, DIST_READS, async ({ version, file: dist }) => {
      const record = storedRecord(version.metadata);
      const facts = await this.factsOf(dist, !record);
      const path = [...id.split('/'), version.version, dist.name].map(encodeURIComponent).join('/');
      return composerVersionEntry({
        name: id,
        version: version.version,
        manifest: record ?? facts.manifest,
        distUrl: `${base}${COMPOSER_VIEW_PATHS.dists}${path}`,
        shasum: facts.sha1,
        time: version.publishedAt,
      });
    });
    return { contentType: 'application/json', body: composerPackageDocument(id, entries) };
  }

  /** A collected dist. */
  async dist(vendor: string, name: string, version: string, file: string, access: ServeAccess): Promise<ServedFile> {
    const id = normalizeComposerName(`${vendor}/${name}`);
    const found =
      id && file === composerDistFileName(id, version)
        ? await this.options.stores.mirror.findCollectedFileOf({ processor: PROCESSOR, id, version, name: file })
        : undefined;
    if (!found || !access.canRead(found.artifact)) {
      throw new NotFoundError(`${vendor}/${name} ${version} ${file} is not mirrored`);
    }
    return servedBlob(this.options.blobStore, found.file, 'application/zip');
  }

  private async base(): Promise<string> {
    return (await this.options.baseUrl()).replace(/\/+$/, '');
  }

  /** The sha1 of a stored dist and, when asked for, its composer.json; read once per stored object. */
  private async factsOf(file: MirroredFile, withManifest: boolean): Promise<DistFacts> {
    const key = `${file.storageKey}\0${file.sha256 ?? file.integrity?.digest ?? ''}\0${withManifest}`;
    const cached = this.facts.get(key);
    if (cached) return cached;
    const { blobStore } = this.options;
    const size = file.size ?? (await blobStore.head(file.storageKey))?.size;
    if (size === undefined) throw new NotFoundError(`${file.name} is recorded as collected but missing from storage`);
    const read = blobRangeReader(blobStore, file.storageKey);
    let manifest: Record<string, unknown> | undefined;
    if (withManifest) {
      manifest = await readComposerManifest(read, size).catch(error => {
        this.options.logger.warn(`Could not read composer.json of ${file.storageKey}: ${error}`);
        return undefined;
      });
      if (!manifest) this.options.logger.warn(`No readable composer.json in ${file.storageKey}; served without requirements`);
    }
    const sha1 = file.integrity?.algorithm === 'sha1' ? file.integrity.digest : await sha1OfRanges(read, size);
    const facts = { manifest, sha1 };
    this.facts.set(key, facts);
    return facts;
  }
}

function json(value: unknown): ServedDocument {
  return { contentType: 'application/json', body: JSON.stringify(value) };
}
