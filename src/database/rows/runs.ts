import { MirrorRun, MirrorRunCounters } from '../../types';
import { optionalIso, toIso, toNumber } from './coerce';

/** A row of `mirror_runs`. */
export interface RunRow {
  id: string;
  trigger: string;
  scope_processor: string | null;
  scope_id: string | null;
  requested_by: string | null;
  status: string;
  claimed_by: string | null;
  created_at: string | Date;
  started_at: string | Date | null;
  heartbeat_at: string | Date | null;
  finished_at: string | Date | null;
  error: string | null;
  artifacts: number | string;
  versions_selected: number | string;
  files_queued: number | string;
  files_collected: number | string;
  files_failed: number | string;
  artifacts_failed?: number | string;
  files_parked?: number | string;
  versions_denied?: number | string;
  versions_pending?: number | string;
  bytes: number | string;
}

/** The column of each counter of a run. */
export const RUN_COUNTER_COLUMNS: Record<keyof MirrorRunCounters, keyof RunRow> = {
  artifacts: 'artifacts',
  artifactsFailed: 'artifacts_failed',
  versionsSelected: 'versions_selected',
  filesQueued: 'files_queued',
  filesCollected: 'files_collected',
  filesFailed: 'files_failed',
  filesParked: 'files_parked',
  bytes: 'bytes',
  versionsDenied: 'versions_denied',
  versionsPendingApproval: 'versions_pending',
};

const COUNTER_ENTRIES = Object.entries(RUN_COUNTER_COLUMNS) as Array<[keyof MirrorRunCounters, keyof RunRow]>;

/** The columns {@link toRun} reads, for listings (not the lease's bookkeeping). */
export const LISTED_RUN_COLUMNS = [
  'id',
  'trigger',
  'scope_processor',
  'scope_id',
  'requested_by',
  'status',
  'created_at',
  'started_at',
  'finished_at',
  'error',
  ...new Set(Object.values(RUN_COUNTER_COLUMNS)),
];

/** As the API shows it. */
export function toRun(row: RunRow): MirrorRun {
  const counters = {} as MirrorRunCounters;
  for (const [counter, column] of COUNTER_ENTRIES) counters[counter] = toNumber(row[column]);
  return {
    id: row.id,
    trigger: row.trigger as MirrorRun['trigger'],
    scope:
      row.scope_processor && row.scope_id
        ? { processor: row.scope_processor, id: row.scope_id }
        : undefined,
    requestedBy: row.requested_by ?? undefined,
    status: row.status as MirrorRun['status'],
    createdAt: toIso(row.created_at),
    startedAt: optionalIso(row.started_at),
    finishedAt: optionalIso(row.finished_at),
    error: row.error ?? undefined,
    counters,
  };
}
