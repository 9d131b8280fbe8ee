import { LoggerService } from '@backstage/backend-plugin-api';
import { StoredArtifact } from '../database/ArtifactStore';
import { VersionGraphStore } from '../database/VersionGraphStore';
import { errorMessage } from '../lib/errorMessage';
import { ArtifactVersion } from '../types';
import { BackpackEvents } from './BackpackEvents';

const PAGE = 1000;
/** The statuses a run's decisions are told of; the topic is the status. */
const TOLD = ['selected', 'denied'] as const;
type Told = (typeof TOLD)[number];

async function versionsWith(
  versions: Pick<VersionGraphStore, 'listVersions'>,
  artifactRef: number,
  status: Told,
): Promise<Map<string, ArtifactVersion>> {
  const found = new Map<string, ArtifactVersion>();
  for (let offset = 0; ; offset += PAGE) {
    const page = await versions.listVersions(artifactRef, { status, limit: PAGE, offset });
    page.items.forEach(v => found.set(v.version, v));
    if (page.items.length < PAGE) return found;
  }
}

/**
 * Tells of the versions a run newly selects or denies for one artifact.
 * Called before the run records its decisions, it reads the versions
 * selected and denied so far (only when events are published) and returns
 * what to call once they are recorded: that reads them again and publishes
 * the difference, so a version is told of when its status changes, not at
 * every run, whatever the walk decided it from. A failed read is logged and
 * tells nothing; it never fails the run.
 */
export async function trackVersionDecisions(options: {
  events?: BackpackEvents;
  versions: Pick<VersionGraphStore, 'listVersions'>;
  logger: LoggerService;
  runId: string;
  artifact: Pick<StoredArtifact, 'ref' | 'processor' | 'id'>;
}): Promise<() => Promise<void>> {
  const { events, versions, logger, runId, artifact } = options;
  if (!events?.enabled) return async () => {};
  const read = async () => {
    const [selected, denied] = await Promise.all(TOLD.map(s => versionsWith(versions, artifact.ref, s)));
    return { selected, denied };
  };
  const failed = (error: unknown) =>
    logger.warn(`Version events of ${artifact.processor}:${artifact.id} left out: ${errorMessage(error)}`);
  let before: Awaited<ReturnType<typeof read>>;
  try {
    before = await read();
  } catch (error) {
    failed(error);
    return async () => {};
  }
  return async () => {
    let after: Awaited<ReturnType<typeof read>>;
    try {
      after = await read();
    } catch (error) {
      failed(error);
      return;
    }
    for (const status of TOLD) {
      const fresh = [...after[status].values()].filter(v => !before[status].has(v.version));
      if (fresh.length === 0) continue;
      events.versionsDecided({
        decision: status,
        artifact: { processor: artifact.processor, id: artifact.id },
        runId,
        versions: fresh.map(v => {
          const denial = v.selection.find(r => r.type === 'denied');
          return status === 'denied' && denial?.type === 'denied'
            ? { version: v.version, reason: denial.reason }
            : { version: v.version, selection: v.selection };
        }),
      });
    }
  };
}
