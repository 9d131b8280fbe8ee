import {
  ConflictError,
  NotFoundError,
  NotImplementedError,
} from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import {
  ArtifactCounts,
  ListArtifactsQuery,
  StoredArtifact,
} from '../database/ArtifactStore';
import { BackpackStores } from '../database/createBackpackStores';
import { Page } from '../database/types';
import { ClosureResult, ClosureRoot } from '../closure/ClosureResolver';
import { canonicalArtifactId } from './artifactIds';
import { BackpackEvents } from '../events/BackpackEvents';
import { ProcessorRegistry } from '../processors/ProcessorRegistry';
import {
  Artifact,
  ArtifactDependency,
  ArtifactFile,
  ArtifactFileStatus,
  ArtifactVersion,
  ArtifactVersionStatus,
  DependencyPolicy,
  FilterType,
} from '../types';
import { ArtifactPreview, toArtifactPreview } from './artifactPreview';
import { ArtifactAdmissionSettings } from '../admission/types';
import {
  artifactAdmissionSettingsInput,
  artifactPatchInput,
  rootArtifactInput,
  UpdateArtifactRequest,
} from './artifactInput';

export type { UpdateArtifactRequest } from './artifactInput';

/** What a caller sends to add a root artifact. */
export interface CreateArtifactRequest {
  processor: string;
  id: string;
  filter?: string;
  filterType?: FilterType;
  config?: JsonObject;
  dependencyPolicy?: DependencyPolicy;
  /** The artifact's own admission settings. */
  admission?: ArtifactAdmissionSettings;
}

/** An artifact with what it holds and what it depends on. */
export interface ArtifactDetails extends Artifact {
  counts: ArtifactCounts;
  dependencies: ArtifactDependency[];
}

/** Query of {@link ArtifactService.list}: the store's query as it is. */
export type ListArtifactsRequest = ListArtifactsQuery;

/**
 * Resolves closures without writing anything, with unconditional upstream
 * requests (the mirror runner's `preview`).
 */
export interface ClosurePreviewer {
  preview(roots: ClosureRoot[], signal?: AbortSignal): Promise<ClosureResult>;
}

/**
 * The error for an artifact that does not exist, or that the caller may not
 * read: the same for both, so that an answer never reveals which.
 */
export function artifactNotFound(processor: string, id: string): NotFoundError {
  return new NotFoundError(`Artifact ${processor}:${id} not found`);
}

/** The public shape of a stored artifact, without internal bookkeeping. */
function toArtifact(stored: StoredArtifact): Artifact {
  const {
    ref: _ref,
    validators: _validators,
    tags: _tags,
    ...artifact
  } = stored;
  return artifact;
}

/**
 * Artifacts as the API sees them: validation against the processors,
 * creation, reads with counts, updates and deletion. Knows nothing of HTTP;
 * failures are @backstage/errors classes whose messages name the field.
 */
export class ArtifactService {
  private readonly stores: Pick<BackpackStores, 'artifacts' | 'versions'>;
  private readonly processors: ProcessorRegistry;
  private readonly previewer?: ClosurePreviewer;
  private readonly onDelete?: (artifactRef: number) => void;
  private readonly events?: BackpackEvents;

  constructor(options: {
    stores: Pick<BackpackStores, 'artifacts' | 'versions'>;
    processors: ProcessorRegistry;
    /** Needed by {@link ArtifactService.preview} only. */
    previewer?: ClosurePreviewer;
    /** Called once an artifact was deleted, e.g. to abort its downloads. */
    onDelete?: (artifactRef: number) => void;
    /** Told of every creation, change and deletion. */
    events?: BackpackEvents;
  }) {
    this.stores = options.stores;
    this.processors = options.processors;
    this.previewer = options.previewer;
    this.onDelete = options.onDelete;
    this.events = options.events;
  }

  /**
   * Adds a root artifact. An artifact that exists only as a dependency is
   * promoted to a root with the given settings (`promoted: true`) rather than
   * refused, since the caller asked for exactly that package; an existing root
   * is a ConflictError.
   */
  async create(
    request: CreateArtifactRequest,
    createdBy?: string,
  ): Promise<{ artifact: Artifact; promoted: boolean }> {
    const processor = this.processors.get(request.processor);
    const { id, config, filter } = rootArtifactInput(processor, request);
    const dependencyPolicy = request.dependencyPolicy ?? 'latest';
    const admission = request.admission && artifactAdmissionSettingsInput(processor, request.admission);

    const existing = await this.stores.artifacts.getArtifact(processor.name, id);
    if (existing?.root) {
      throw new ConflictError(
        `Artifact ${processor.name}:${id} already exists`,
      );
    }
    if (existing) {
      const promoted = await this.stores.artifacts.updateArtifact(existing.ref, {
        root: true,
        filter: filter.filter ?? null,
        filterType: filter.filterType ?? null,
        config,
        dependencyPolicy,
        ...(admission ? { admission } : {}),
      });
      this.events?.artifactCreated(toArtifact(promoted), { promoted: true });
      return { artifact: toArtifact(promoted), promoted: true };
    }
    const created = await this.stores.artifacts.createArtifact({
      processor: processor.name,
      id,
      ...filter,
      config,
      root: true,
      dependencyPolicy,
      createdBy,
      ...(admission ? { admission } : {}),
    });
    this.events?.artifactCreated(toArtifact(created));
    return { artifact: toArtifact(created), promoted: false };
  }

  /**
   * What adding the artifact would select (versions with their files and
   * reasons, the closure, unresolvable dependencies), validated as on
   * creation and resolved against the upstreams without writing anything.
   * Stored artifacts play no part: the preview is of this root alone.
   */
  async preview(
    request: CreateArtifactRequest,
    options: { signal?: AbortSignal } = {},
  ): Promise<ArtifactPreview> {
    if (!this.previewer) {
      throw new NotImplementedError('Previews are not available in this backend');
    }
    const processor = this.processors.get(request.processor);
    const { id, config, filter } = rootArtifactInput(processor, request);
    const closure = await this.previewer.preview(
      [
        {
          processor: processor.name,
          id,
          config,
          ...filter,
          dependencyPolicy: request.dependencyPolicy ?? 'latest',
          ...(request.admission
            ? { admission: artifactAdmissionSettingsInput(processor, request.admission) }
            : {}),
        },
      ],
      options.signal,
    );
    return toArtifactPreview(closure);
  }

  /** The artifact, or undefined; for permission checks on resource refs. */
  async find(processor: string, id: string): Promise<Artifact | undefined> {
    const stored = await this.findStored(processor, id);
    return stored && toArtifact(stored);
  }

  /** The artifact; a NotFoundError when unknown. */
  async get(processor: string, id: string): Promise<Artifact> {
    return toArtifact(await this.getStored(processor, id));
  }

  /** The artifact with its counts and the dependencies of its selected versions. */
  async getDetails(processor: string, id: string): Promise<ArtifactDetails> {
    const stored = await this.getStored(processor, id);
    const [counts, dependencies] = await Promise.all([
      this.stores.artifacts.countArtifact(stored.ref),
      this.stores.versions.listArtifactDependencies(stored.ref),
    ]);
    return { ...toArtifact(stored), counts, dependencies };
  }

  /** A page of artifacts ordered by processor and id, with the total. */
  async list(request: ListArtifactsRequest): Promise<Page<Artifact>> {
    return this.stores.artifacts.listArtifacts(request);
  }

  /**
   * Changes filter, filter type, config or dependency policy, validated as
   * on creation. `config` replaces the whole config object.
   */
  async update(
    processorName: string,
    id: string,
    request: UpdateArtifactRequest,
  ): Promise<Artifact> {
    const stored = await this.getStored(processorName, id);
    const patch = artifactPatchInput(this.processors.get(stored.processor), stored, request);
    if (Object.keys(patch).length === 0) {
      return toArtifact(stored);
    }
    const updated = toArtifact(await this.stores.artifacts.updateArtifact(stored.ref, patch));
    this.events?.artifactUpdated(updated, Object.keys(patch));
    return updated;
  }

  /**
   * Deletes the artifact with its versions, files and dependencies. Stored
   * objects stay; the storage keys that no remaining file references are
   * returned, for the caller to purge.
   */
  async delete(
    processor: string,
    id: string,
  ): Promise<{ orphanedStorageKeys: string[] }> {
    const stored = await this.getStored(processor, id);
    const deleted = await this.stores.artifacts.deleteArtifact(stored.ref);
    this.onDelete?.(stored.ref);
    this.events?.artifactDeleted(stored);
    return deleted;
  }

  /**
   * A page of the artifact's versions, newest first, with their admission
   * verdicts; a NotFoundError when the artifact is unknown. The artifact is
   * not read first: the listing selects it by its key.
   */
  async listVersions(
    processor: string,
    id: string,
    query: { status?: ArtifactVersionStatus; limit: number; offset: number },
  ): Promise<Page<ArtifactVersion>> {
    const key = this.keyOf(processor, id);
    const page = await this.stores.versions.listVersions(key, query);
    // No versions is also what an unknown artifact gives; only then is it looked up.
    if (page.total === 0) await this.getStored(processor, id);
    return page;
  }

  /** A page of a version's files; a NotFoundError when the artifact or version is unknown. */
  async listFiles(
    processor: string,
    id: string,
    version: string,
    query: { status?: ArtifactFileStatus; limit: number; offset: number },
  ): Promise<Page<ArtifactFile>> {
    const key = this.keyOf(processor, id);
    const page = await this.stores.versions.listFiles(key, version, query);
    if (page) return page;
    await this.getStored(processor, id);
    throw new NotFoundError(`Version ${version} of artifact ${key.processor}:${key.id} not found`);
  }

  /**
   * The stored key of the artifact a caller names. An artifact of a
   * processor that is not (or no longer) registered can still be read; only
   * ids of known processors are normalised. An id the processor refuses is
   * looked up as given: rows stored before it was refused stay readable and
   * deletable, and others are simply missing.
   */
  private keyOf(processorName: string, id: string): { processor: string; id: string } {
    const processor = this.processors.find(processorName);
    const canonical = processor ? canonicalArtifactId(processor, id) : undefined;
    return { processor: processorName, id: canonical && 'id' in canonical ? canonical.id : id };
  }

  private async findStored(processorName: string, id: string): Promise<StoredArtifact | undefined> {
    const key = this.keyOf(processorName, id);
    return this.stores.artifacts.getArtifact(key.processor, key.id);
  }

  private async getStored(processor: string, id: string): Promise<StoredArtifact> {
    const stored = await this.findStored(processor, id);
    if (!stored) throw artifactNotFound(processor, id);
    return stored;
  }
}
