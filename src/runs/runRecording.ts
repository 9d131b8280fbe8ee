import { NewArtifact, StoredArtifact } from '../database/ArtifactStore';
import { BackpackStores } from '../database/createBackpackStores';
import { ListedVersion, ListingEntry } from '../database/VersionGraphStore';
import { GroupCall } from '../lib/GroupCall';

/**
 * What a run's discoveries write, gathered across artifacts: the artifacts
 * a walk reaches together are added in one batch, and the listings and
 * outcomes of discoveries that end together are stored in one transaction
 * (see `recordListings`), a few statements per batch where each artifact
 * took about ten of its own. Each caller still waits for its own write and
 * gets its own failure: a batch that fails is written again item by item
 * (see {@link GroupCall}), each item all or nothing, as alone.
 */
export class RunRecording {
  private readonly ensures: GroupCall<NewArtifact, StoredArtifact>;
  private readonly listings: GroupCall<ListingEntry, Map<string, ListedVersion>>;

  constructor(stores: Pick<BackpackStores, 'artifacts' | 'versions'>) {
    this.ensures = new GroupCall(artifacts => stores.artifacts.ensureArtifacts(artifacts));
    this.listings = new GroupCall(entries => stores.versions.recordListings(entries));
  }

  /** The stored row of an artifact, added if unknown. */
  ensureArtifact(artifact: NewArtifact): Promise<StoredArtifact> {
    return this.ensures.add(artifact);
  }

  /** Stores a discovery's new versions and outcome; the listed versions' rows. */
  recordListing(entry: ListingEntry): Promise<Map<string, ListedVersion>> {
    return this.listings.add(entry);
  }
}
