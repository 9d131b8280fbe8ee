import { NotFoundError } from '@backstage/errors';
import { BackpackStores } from '../database/createBackpackStores';
import { indexFilePath, isCrateName } from '../processors/cargo/cargoIndex';
import { BlobStore } from '../storage/BlobStore';
import { pathSegmentProblem } from '../storage/fileRefusal';
import { cargoDownloadTemplate, cargoIndexFile } from './metadata/cargoIndexFile';
import { ServeAccess } from './ServeAccess';
import { ServedDocument, ServedFile, servedBlob } from './ServedContent';

const PROCESSOR = 'cargo';

/** Options of {@link CargoView}. */
export interface CargoViewOptions {
  stores: Pick<BackpackStores, 'mirror'>;
  blobStore: BlobStore;
  /** The plugin's external base URL (`…/api/backpack`), which `dl` points back at. */
  baseUrl: () => Promise<string>;
  /** Whether callers need credentials (`auth-required` in `config.json`). */
  authRequired: boolean;
}

/**
 * The Cargo sparse registry view over the mirror: `config.json` with `dl`
 * pointing at the view, index files listing the mirrored versions with the
 * upstream's lines unchanged, and the `.crate` files.
 */
export class CargoView {
  constructor(private readonly options: CargoViewOptions) {}

  /** `config.json`: no `api` (the mirror takes no publishes), `auth-required` unless public. */
  async config(): Promise<ServedDocument> {
    const base = `${(await this.options.baseUrl()).replace(/\/+$/, '')}/cargo/`;
    return {
      contentType: 'application/json',
      body: JSON.stringify({
        dl: cargoDownloadTemplate(base),
        ...(this.options.authRequired ? { 'auth-required': true } : {}),
      }),
    };
  }

  /**
   * The index file at `path` (`se/rd/serde`); NotFoundError unless the
   * path is where the crate's file is and a version of it is mirrored.
   */
  async indexFile(path: string, access: ServeAccess): Promise<ServedDocument> {
    const name = path.slice(path.lastIndexOf('/') + 1);
    if (!isCrateName(name) || indexFilePath(name) !== path) {
      throw new NotFoundError(`No index file ${path}`);
    }
    const store = this.options.stores.mirror;
    const artifact = await store.getArtifact(PROCESSOR, name.toLowerCase());
    if (!artifact || !access.canRead(artifact)) {
      throw new NotFoundError(`crate '${name}' is not mirrored`);
    }
    const body = cargoIndexFile(await store.listMirroredVersions(artifact.ref));
    if (body === undefined) throw new NotFoundError(`crate '${name}' has no collected version`);
    return { contentType: 'text/plain; charset=utf-8', body };
  }

  /** The `.crate` of one version, by the name its index line gives. */
  async download(name: string, version: string, access: ServeAccess): Promise<ServedFile> {
    if (!isCrateName(name) || pathSegmentProblem(version)) {
      throw new NotFoundError(`No crate ${name} ${version}`);
    }
    const found = await this.options.stores.mirror.findCollectedFileOf({
      processor: PROCESSOR,
      id: name.toLowerCase(),
      version,
      name: `${name}-${version}.crate`,
    });
    if (!found || !access.canRead(found.artifact)) {
      throw new NotFoundError(`crate ${name} ${version} is not mirrored`);
    }
    return servedBlob(this.options.blobStore, found.file, 'application/gzip');
  }
}
