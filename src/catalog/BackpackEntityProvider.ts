import { LoggerService } from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  DeferredEntity,
  EntityProvider,
  EntityProviderConnection,
} from '@backstage/plugin-catalog-node';
import { canonicalJson } from '../lib/canonicalJson';
import { artifactEntity, EntityContext } from './artifactEntity';
import { RootArtifact } from './BackpackArtifactsClient';

/** The provider's name; the catalog ties the entities to it, so it never changes. */
export const BACKPACK_ENTITY_PROVIDER_NAME = 'backpack-entity-provider';

/** Options of {@link BackpackEntityProvider}. */
export interface BackpackEntityProviderOptions {
  /** Every root artifact, read from Backpack (over its REST API). */
  listRootArtifacts(signal?: AbortSignal): Promise<RootArtifact[]>;
  /** Owner, namespace and link bases of the entities, read at each run. */
  entityContext(): Promise<EntityContext>;
  logger: LoggerService;
  /** Called once the catalog connected the provider: where its mutations get scheduled. */
  onConnect?(): Promise<void>;
}

/**
 * Provides Backpack's root artifacts as catalog entities (`kind: Resource`,
 * `spec.type: mirrored-package`). {@link BackpackEntityProvider.fullMutation}
 * replaces all of them; {@link BackpackEntityProvider.deltaMutation} sends only
 * what changed since the last run of this instance (added or changed
 * entities, and removed ones), so that changes show up between full runs
 * without rewriting every entity.
 */
export class BackpackEntityProvider implements EntityProvider {
  private connection?: EntityProviderConnection;
  /** Entity ref → canonical JSON of the entity, as last applied by this instance. */
  private snapshot?: Map<string, string>;
  /** Runs one mutation at a time, so a delta never diffs against a half-applied full run. */
  private queue: Promise<unknown> = Promise.resolve();
  /** A requested delta that has not started yet: more requests join it. */
  private waitingDelta?: Promise<void>;

  constructor(private readonly options: BackpackEntityProviderOptions) {}

  getProviderName(): string {
    return BACKPACK_ENTITY_PROVIDER_NAME;
  }

  async connect(connection: EntityProviderConnection): Promise<void> {
    this.connection = connection;
    await this.options.onConnect?.();
  }

  /** Replaces every entity of this provider with the current root artifacts. */
  fullMutation(signal?: AbortSignal): Promise<void> {
    return this.serialized(async () => {
      const connection = this.connected();
      const current = await this.currentEntities(signal);
      await connection.applyMutation({
        type: 'full',
        entities: [...current.values()].map(({ entity }) => deferred(entity)),
      });
      this.snapshot = new Map([...current].map(([ref, { json }]) => [ref, json]));
      this.options.logger.info(`Provided ${current.size} Backpack root artifacts as catalog entities`);
    });
  }

  /**
   * Applies what changed since the last mutation of this instance; the
   * first run of an instance is a full mutation, since it has nothing to
   * compare with.
   */
  deltaMutation(signal?: AbortSignal): Promise<void> {
    return this.serialized(() => this.applyDelta(signal));
  }

  /**
   * A delta mutation soon, for a change signal (one of Backpack's change
   * events): requests that arrive before it starts share it, so a burst of
   * events costs one read of the roots. Ignored until the catalog connected
   * the provider.
   */
  requestDelta(): Promise<void> {
    if (!this.connection) return Promise.resolve();
    if (!this.waitingDelta) {
      this.waitingDelta = this.serialized(async () => {
        // Started: a change from now on needs a read of its own.
        this.waitingDelta = undefined;
        await this.applyDelta();
      });
    }
    return this.waitingDelta;
  }

  private async applyDelta(signal?: AbortSignal): Promise<void> {
    const connection = this.connected();
    const previous = this.snapshot;
    const current = await this.currentEntities(signal);
    if (!previous) {
      await connection.applyMutation({
        type: 'full',
        entities: [...current.values()].map(({ entity }) => deferred(entity)),
      });
    } else {
      const added = [...current]
        .filter(([ref, { json }]) => previous.get(ref) !== json)
        .map(([, { entity }]) => deferred(entity));
      const removed = [...previous.keys()]
        .filter(ref => !current.has(ref))
        .map(entityRef => ({ entityRef, locationKey: BACKPACK_ENTITY_PROVIDER_NAME }));
      if (added.length === 0 && removed.length === 0) return;
      await connection.applyMutation({ type: 'delta', added, removed });
      this.options.logger.info(
        `Backpack catalog entities: ${added.length} added or changed, ${removed.length} removed`,
      );
    }
    this.snapshot = new Map([...current].map(([ref, { json }]) => [ref, json]));
  }

  private connected(): EntityProviderConnection {
    if (!this.connection) throw new Error(`${BACKPACK_ENTITY_PROVIDER_NAME} is not connected to the catalog yet`);
    return this.connection;
  }

  private serialized(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The entities of the current root artifacts by entity ref. */
  private async currentEntities(signal?: AbortSignal): Promise<Map<string, { entity: Entity; json: string }>> {
    const [artifacts, ctx] = await Promise.all([
      this.options.listRootArtifacts(signal),
      this.options.entityContext(),
    ]);
    const entities = new Map<string, { entity: Entity; json: string }>();
    for (const artifact of artifacts) {
      const entity = artifactEntity(artifact, ctx);
      const ref = stringifyEntityRef(entity);
      if (entities.has(ref)) {
        // Names carry a hash of processor and id, so this is a hash collision.
        this.options.logger.warn(`Backpack artifact ${artifact.processor}:${artifact.id} has the entity name of another; skipped`);
        continue;
      }
      entities.set(ref, { entity, json: canonicalJson(entity) });
    }
    return entities;
  }
}

function deferred(entity: Entity): DeferredEntity {
  return { entity, locationKey: BACKPACK_ENTITY_PROVIDER_NAME };
}
