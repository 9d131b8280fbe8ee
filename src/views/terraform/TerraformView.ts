import { LoggerService } from '@backstage/backend-plugin-api';
import { NotAllowedError, NotFoundError } from '@backstage/errors';
import { BackpackStores } from '../../database/createBackpackStores';
import { MirroredFile } from '../../database/MirrorReadStore';
import { mapLimited } from '../../lib/mapLimited';
import { parseProviderAddress, platformOfPackage, ProviderAddress, providerId } from '../../processors/terraform/terraformNames';
import { terraformVersionScheme } from '../../processors/terraform/terraformVersion';
import { BlobStore } from '../../storage/BlobStore';
import { blobRangeReader } from '../../storage/blobRangeReader';
import { BoundedCache } from '../BoundedCache';
import { ArchiveLinks } from './archiveLinks';
import { providerArchiveHashes, terraformVersionDocument, terraformVersionIndex } from '../metadata/terraformMirror';
import { publicAccess, ServeAccess } from '../ServeAccess';
import { ServedDocument, ServedFile, servedBlob } from '../ServedContent';

const PROCESSOR = 'terraform';
const HASH_CACHE_SIZE = 20_000;
/** Packages hashed at once for one version document. */
const HASH_READS = 4;

/** Options of {@link TerraformView}. */
export interface TerraformViewOptions {
  stores: Pick<BackpackStores, 'mirror'>;
  blobStore: BlobStore;
  logger: LoggerService;
  /** Time-limited links to packages, for callers whose archive downloads carry no credentials. */
  links: ArchiveLinks;
}

/**
 * Terraform's provider network mirror protocol over the mirror: a
 * provider's `index.json` of mirrored versions, each version's
 * `<version>.json` with its collected packages by platform and their
 * `zh:` and `h1:` hashes, and the packages themselves beside them.
 */
export class TerraformView {
  /** h1 hashes by stored object: computing one reads the whole package. */
  private readonly hashes = new BoundedCache<string, string[]>(HASH_CACHE_SIZE);
  /** Hashes being computed, so that concurrent requests read a package once. */
  private readonly hashing = new Map<string, Promise<string[]>>();

  constructor(private readonly options: TerraformViewOptions) {}

  /** `index.json`: the versions with at least one collected package. */
  async versionIndex(hostname: string, namespace: string, type: string, access: ServeAccess): Promise<ServedDocument> {
    const { address, versions } = await this.mirrored(hostname, namespace, type, access);
    const listed = versions.filter(v => v.files.some(f => platformOfPackage(address.type, v.version, f.name)));
    if (listed.length === 0) throw new NotFoundError(`Provider '${providerId(address)}' has no collected package`);
    return json(terraformVersionIndex(listed.map(v => v.version)));
  }

  /** `<version>.json`: the version's collected packages by platform, with their hashes. */
  async versionDocument(
    hostname: string,
    namespace: string,
    type: string,
    version: string,
    access: ServeAccess,
    options: { signedLinks: boolean },
  ): Promise<ServedDocument> {
    const { address, versions } = await this.mirrored(hostname, namespace, type, access);
    const found = versions.find(v => v.version === version);
    const packages = (found?.files ?? []).flatMap(file => {
      const platform = platformOfPackage(address.type, version, file.name);
      return platform ? [{ platform, file }] : [];
    });
    if (packages.length === 0) throw new NotFoundError(`Provider '${providerId(address)}' ${version} is not mirrored`);
    const archives = await mapLimited(packages, HASH_READS, async ({ platform, file }) => ({
      platform,
      url: options.signedLinks
        ? this.options.links.link(`${providerId(address)}/${file.name}`, file.name)
        : file.name,
      hashes: await this.hashesOf(file),
    }));
    return json(terraformVersionDocument(archives));
  }

  /** A collected package, `terraform-provider-<type>_<version>_<os>_<arch>.zip`. */
  async archive(hostname: string, namespace: string, type: string, name: string, access: ServeAccess): Promise<ServedFile> {
    const address = parseProviderAddress(`${hostname}/${namespace}/${type}`);
    // Versions hold no `_`: the version is what lies between the type's prefix and the platform.
    const prefix = address && `terraform-provider-${address.type}_`;
    const version = prefix && name.startsWith(prefix) ? name.slice(prefix.length).split('_')[0] : undefined;
    if (!address || !version || !platformOfPackage(address.type, version, name)) {
      throw new NotFoundError(`${name} is not mirrored`);
    }
    const found = await this.options.stores.mirror.findCollectedFileOf({
      processor: PROCESSOR,
      id: providerId(address),
      version,
      name,
    });
    if (!found || !access.canRead(found.artifact)) throw new NotFoundError(`${name} is not mirrored`);
    return servedBlob(this.options.blobStore, found.file, 'application/zip');
  }

  /** A package by a link of {@link TerraformView.versionDocument}: no credentials, but an unexpired signature. */
  async linkedArchive(
    hostname: string,
    namespace: string,
    type: string,
    link: { expires: string; signature: string; file: string },
  ): Promise<ServedFile> {
    const address = parseProviderAddress(`${hostname}/${namespace}/${type}`);
    if (!address || !this.options.links.verify(`${providerId(address)}/${link.file}`, link.expires, link.signature)) {
      throw new NotAllowedError('The archive link is invalid or has expired; read the version document again');
    }
    return this.archive(hostname, namespace, type, link.file, publicAccess);
  }

  private async mirrored(hostname: string, namespace: string, type: string, access: ServeAccess) {
    const address: ProviderAddress | undefined = parseProviderAddress(`${hostname}/${namespace}/${type}`);
    const artifact = address && (await this.options.stores.mirror.getArtifact(PROCESSOR, providerId(address)));
    if (!address || !artifact || !access.canRead(artifact)) {
      throw new NotFoundError(`Provider '${hostname}/${namespace}/${type}' is not mirrored`);
    }
    const versions = (await this.options.stores.mirror.listMirroredVersions(artifact.ref))
      .filter(v => terraformVersionScheme.isValidVersion(v.version))
      .sort((a, b) => terraformVersionScheme.compare(a.version, b.version));
    return { address, versions };
  }

  private async hashesOf(file: MirroredFile): Promise<string[]> {
    const key = `${file.storageKey}\0${file.sha256 ?? file.integrity?.digest ?? ''}`;
    const cached = this.hashes.get(key);
    if (cached) return cached;
    let pending = this.hashing.get(key);
    if (!pending) {
      pending = this.computeHashes(file).finally(() => this.hashing.delete(key));
      this.hashing.set(key, pending);
    }
    // A failure (a missing object, a storage error) is not kept: it may pass later.
    const hashes = await pending;
    this.hashes.set(key, hashes);
    return hashes;
  }

  private async computeHashes(file: MirroredFile): Promise<string[]> {
    const { blobStore, logger } = this.options;
    const size = file.size ?? (await blobStore.head(file.storageKey))?.size;
    if (size === undefined) throw new NotFoundError(`${file.name} is recorded as collected but missing from storage`);
    const hashes = await providerArchiveHashes(file, blobRangeReader(blobStore, file.storageKey), size);
    if (!hashes.some(h => h.startsWith('h1:'))) logger.warn(`No h1: hash for ${file.storageKey}: not a readable zip`);
    return hashes;
  }
}

function json(body: string): ServedDocument {
  return { contentType: 'application/json', body };
}
