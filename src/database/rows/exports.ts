import { BundlePart, ExportRecord } from '../../exports/types';
import { StoredExport } from '../ExportStore';
import { fromJson, optionalIso, toIso, toNumber } from './coerce';

/** A row of `exports`. */
export interface ExportRow {
  id: string;
  status: string;
  kind: string;
  since_export_id: string | null;
  since_time: string | Date | null;
  /** JSON: the processors it is limited to. */
  processors: string | null;
  requested_by: string | null;
  claimed_by: string | null;
  created_at: string | Date;
  started_at: string | Date | null;
  heartbeat_at: string | Date | null;
  finished_at: string | Date | null;
  cutoff_at: string | Date | null;
  error: string | null;
  manifest_key: string | null;
  request_key?: string | null;
  seal: string | null;
  /** JSON: the `BundlePart`s. */
  parts: string | null;
  parts_count: number | string;
  files_count: number | string;
  total_bytes: number | string;
}

/** The columns {@link toExportRecord} reads, for listings (not the lease's bookkeeping). */
export const LISTED_EXPORT_COLUMNS = [
  'id',
  'status',
  'kind',
  'since_export_id',
  'since_time',
  'processors',
  'requested_by',
  'created_at',
  'started_at',
  'finished_at',
  'cutoff_at',
  'error',
  'seal',
  'parts',
  'files_count',
  'total_bytes',
];

/** As the API shows it, for listings. */
export function toExportRecord(row: ExportRow): ExportRecord {
  return {
    id: row.id,
    status: row.status as ExportRecord['status'],
    kind: row.kind as ExportRecord['kind'],
    since: row.since_time
      ? {
          ...(row.since_export_id ? { exportId: row.since_export_id } : {}),
          time: toIso(row.since_time),
        }
      : undefined,
    processors: fromJson<string[] | undefined>(row.processors, undefined),
    requestedBy: row.requested_by ?? undefined,
    createdAt: toIso(row.created_at),
    startedAt: optionalIso(row.started_at),
    finishedAt: optionalIso(row.finished_at),
    cutoff: optionalIso(row.cutoff_at),
    error: row.error ?? undefined,
    seal: row.seal ?? undefined,
    parts: fromJson<BundlePart[]>(row.parts, []),
    files: toNumber(row.files_count),
    totalBytes: toNumber(row.total_bytes),
  };
}

/** As the stores read it: the API's record and where its manifest is stored. */
export function toExport(row: ExportRow): StoredExport {
  // Set on the record rather than spread into a copy: V8 copies an object
  // this wide and then adds a key on a slow path, several microseconds a row.
  const stored: StoredExport = toExportRecord(row);
  stored.manifestKey = row.manifest_key ?? undefined;
  return stored;
}
