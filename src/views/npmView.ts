import { LoggerService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import { BackpackStores } from '../database/createBackpackStores';
import { DeclaredDependency, MirroredFile } from '../database/MirrorReadStore';
import { isNpmPackageName } from '../processors/npm/npmDependencySpec';
import { BlobStore } from '../storage/BlobStore';
import { pathSegmentProblem } from '../storage/fileRefusal';
import { mapLimited } from '../lib/mapLimited';
import { ParsingLimits } from '../upstream/limits';
import { BoundedCache } from './BoundedCache';
import {
  collectedTarballDigests,
  createNpmPackument,
  NpmPackumentVersion,
} from './metadata/npmPackument';
import { readNpmTarballManifest } from './metadata/npmTarballManifest';
import { ServeAccess } from './ServeAccess';
import { ServedDocument, ServedFile, servedBlob } from './ServedContent';

const PROCESSOR = 'npm';

/** Manifests kept in memory; a few KB each. */
const MANIFEST_CACHE_SIZE = 20_000;

/** Tarballs read at once when a packument needs manifests not yet cached. */
const MANIFEST_READS = 8;

/** Options of {@link NpmView}. */
export interface NpmViewOptions {
  stores: Pick<BackpackStores, 'mirror'>;
  blobStore: BlobStore;
  /** The plugin's external base URL (`…/api/backpack`), which tarball URLs point back at. */
  baseUrl: () => Promise<string>;
  logger: LoggerService;
  /** Bounds reading package.json out of tarballs (`backpack.limits.tarball`). */
  tarballLimits?: ParsingLimits['tarball'];
}

/**
 * The npm registry view over the mirror: packuments of the mirrored
 * versions only, with tarball URLs pointing back at the view, and the
 * tarballs themselves from the blob store.
 */
export class NpmView {
  private readonly manifests = new BoundedCache<string, Record<string, unknown> | null>(
    MANIFEST_CACHE_SIZE,
  );

  constructor(private readonly options: NpmViewOptions) {}

  /** The packument of a package; NotFoundError when no version of it is mirrored. */
  async packument(name: string, access: ServeAccess): Promise<ServedDocument> {
    const store = this.options.stores.mirror;
    if (!isNpmPackageName(name)) throw new NotFoundError(`'${name}' is not an npm package name`);
    const artifact = await store.getArtifact(PROCESSOR, name);
    if (!artifact || !access.canRead(artifact)) {
      throw new NotFoundError(`npm package '${name}' is not mirrored`);
    }

    const mirrored = (await store.listMirroredVersions(artifact.ref)).map(version => ({
      version,
      file: version.files.find(f => f.name.endsWith('.tgz')) ?? version.files[0],
    }));
    if (mirrored.length === 0) {
      throw new NotFoundError(`npm package '${name}' has no collected version`);
    }

    const base = (await this.options.baseUrl()).replace(/\/+$/, '');
    const manifests = await mapLimited(mirrored, MANIFEST_READS, ({ file }) =>
      this.manifestOf(file),
    );
    // Versions whose tarball has no readable package.json fall back to the
    // dependencies recorded at discovery.
    const withoutManifest = mirrored.filter((_, i) => !manifests[i]).map(m => m.version.version);
    const declared = withoutManifest.length
      ? await store.getDeclaredDependencies(artifact.ref, withoutManifest)
      : new Map<string, DeclaredDependency[]>();

    const versions: NpmPackumentVersion[] = mirrored.map(({ version, file }, i) => ({
      version: version.version,
      ...(manifests[i]
        ? { manifest: manifests[i]! }
        : {
            dependencies: (declared.get(version.version) ?? [])
              .filter(d => d.processor === PROCESSOR)
              .map(d => ({ name: d.id, range: d.range, kind: d.kind })),
          }),
      // The version is part of the URL: two versions may publish tarballs
      // of the same name, and each must get its own.
      tarball: `${base}/npm/${name}/-/${encodeURIComponent(version.version)}/${encodeURIComponent(file.name)}`,
      digests: collectedTarballDigests(file),
      ...(version.publishedAt ? { publishedAt: version.publishedAt } : {}),
    }));

    return {
      contentType: 'application/json',
      body: JSON.stringify(
        createNpmPackument({ name, versions, upstreamTags: artifact.tags }),
      ),
    };
  }

  /** The collected tarball `file` of one version; NotFoundError for anything not collected. */
  async tarball(
    name: string,
    version: string,
    file: string,
    access: ServeAccess,
  ): Promise<ServedFile> {
    if (!isNpmPackageName(name) || [version, file].some(pathSegmentProblem)) {
      throw new NotFoundError(`No tarball ${name}/-/${version}/${file}`);
    }
    const found = await this.options.stores.mirror.findCollectedFileOf({
      processor: PROCESSOR,
      id: name,
      version,
      name: file,
    });
    if (!found || !access.canRead(found.artifact)) {
      throw new NotFoundError(`Tarball ${name}/-/${version}/${file} is not mirrored`);
    }
    return servedBlob(this.options.blobStore, found.file, 'application/octet-stream');
  }

  /**
   * A tarball by the URL of earlier packuments, `<name>/-/<file>`, which
   * does not name the version: answered only when exactly one version of
   * the package has a file of that name, so it can never serve another
   * version's bytes.
   */
  async tarballByName(name: string, file: string, access: ServeAccess): Promise<ServedFile> {
    const store = this.options.stores.mirror;
    if (!isNpmPackageName(name) || pathSegmentProblem(file)) {
      throw new NotFoundError(`No tarball ${name}/-/${file}`);
    }
    const artifact = await store.getArtifact(PROCESSOR, name);
    if (!artifact || !access.canRead(artifact)) {
      throw new NotFoundError(`Tarball ${name}/-/${file} is not mirrored`);
    }
    const candidates = await store.listFilesNamed(artifact.ref, file);
    if (candidates.length > 1) {
      throw new NotFoundError(
        `${candidates.length} versions of ${name} have a file named ${file}; ` +
          `ask for ${name}/-/<version>/${file}`,
      );
    }
    const found = candidates[0]?.file;
    if (!found) throw new NotFoundError(`Tarball ${name}/-/${file} is not mirrored`);
    return servedBlob(this.options.blobStore, found, 'application/octet-stream');
  }

  /** The package.json in a stored tarball, read once per stored object. */
  private async manifestOf(file: MirroredFile): Promise<Record<string, unknown> | undefined> {
    const key = `${file.storageKey}\0${file.sha256 ?? file.integrity?.digest ?? ''}`;
    const cached = this.manifests.get(key);
    if (cached !== undefined) return cached ?? undefined;
    let manifest: Record<string, unknown> | undefined;
    try {
      const blob = await this.options.blobStore.get(file.storageKey);
      // A missing object is not cached: it may be collected again.
      if (!blob) return undefined;
      manifest = await readNpmTarballManifest(blob.body, this.options.tarballLimits);
    } catch (error) {
      // Nor is a storage error; the recorded dependencies stand in this time.
      this.options.logger.warn(`Could not read ${file.storageKey}: ${error}`);
      return undefined;
    }
    if (!manifest) {
      this.options.logger.warn(
        `No readable package.json in ${file.storageKey}; serving its recorded dependencies`,
      );
    }
    this.manifests.set(key, manifest ?? null);
    return manifest;
  }
}
