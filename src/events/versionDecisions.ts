import { LoggerService } from '@backstage/backend-plugin-api';
import { StoredArtifact } from '../database/ArtifactStore';
import { DecidedVersion, VersionGraphStore } from '../database/VersionGraphStore';
import { chunks } from '../lib/chunks';
import { errorMessage } from '../lib/errorMessage';
import { BackpackEvents } from './BackpackEvents';

/** The statuses a run's decisions are told of; the topic is the status. */
const TOLD = ['selected', 'denied'] as const;

type Decided = Map<number, Map<string, DecidedVersion>>;

/** Artifacts whose decisions are read again and told at once. */
const ARTIFACTS_PER_READ = 500;

/**
 * Tells of the versions a run newly selects or denies, for the artifacts
 * it reached. Called before the run records its decisions, it reads the
 * versions selected and denied so far (only when events are published; a
 * statement per chunk of artifacts, not per artifact) and returns what to
 * call once they are recorded, with the rows the recording wrote: that
 * reads them again and publishes the difference per artifact, so a version
 * is told of when its status changes, not at every run, whatever the walk
 * decided it from. A recording that wrote nothing changed no status (a run
 * that finds nothing new): nothing is read again. A failed read is logged
 * and tells nothing more (the chunks read before it are told); it never
 * fails the run.
 */
export async function trackVersionDecisions(options: {
  events?: BackpackEvents;
  versions: Pick<VersionGraphStore, 'listDecidedVersions'>;
  logger: LoggerService;
  runId: string;
  artifacts: Array<Pick<StoredArtifact, 'ref' | 'processor' | 'id'>>;
}): Promise<(recorded: { rowsWritten: number }) => Promise<void>> {
  const { events, versions, logger, runId, artifacts } = options;
  if (!events?.enabled || artifacts.length === 0) return async () => {};
  const publisher = events;
  const read = async (of: typeof artifacts, reasons = true): Promise<Decided> => {
    const found = await versions.listDecidedVersions(
      of.map(a => a.ref),
      [...TOLD],
      { reasons },
    );
    return new Map([...found].map(([ref, list]) => [ref, new Map(list.map(v => [v.version, v]))]));
  };
  const failed = (error: unknown) =>
    logger.warn(`Version events of run ${runId} left out: ${errorMessage(error)}`);
  let before: Decided;
  try {
    // Only compared by status: what is told comes from the read after.
    before = await read(artifacts, false);
  } catch (error) {
    failed(error);
    return async () => {};
  }
  return async ({ rowsWritten }) => {
    if (rowsWritten === 0) return;
    // Read again and told a chunk of artifacts at a time: a first run
    // decides every version it reaches, thousands of rows at once.
    for (const part of chunks(artifacts, ARTIFACTS_PER_READ)) {
      let after: Decided;
      try {
        after = await read(part);
      } catch (error) {
        failed(error);
        return;
      }
      tell(part, after);
    }
  };

  function tell(part: typeof artifacts, after: Decided): void {
    for (const artifact of part) {
      const was = before.get(artifact.ref);
      const now = [...(after.get(artifact.ref)?.values() ?? [])];
      for (const status of TOLD) {
        const fresh = now.filter(v => v.status === status && was?.get(v.version)?.status !== status);
        if (fresh.length === 0) continue;
        publisher.versionsDecided({
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
    }
  }
}
