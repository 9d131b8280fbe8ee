/** @public */
export type ExportStatus = 'queued' | 'running' | 'succeeded' | 'failed';

/**
 * `full`: every collected file. `delta`: the files collected after a
 * previous export's cut-off or after a point in time.
 *
 * @public
 */
export type ExportKind = 'full' | 'delta';

/**
 * One part of a bundle: a consecutive byte range of the bundle's tar stream,
 * stored as `exports/<id>/<name>`.
 *
 * @public
 */
export interface BundlePart {
  /** `part-00001.tar`, `part-00002.tar`, ... */
  name: string;
  size: number;
  /** Lower-case hex sha256 of the part's bytes. */
  sha256: string;
}

/**
 * An export bundle: the files collected in a time window, plus registry
 * metadata for them, as a tar stream split into parts in the blob store.
 *
 * @public
 */
export interface ExportRecord {
  id: string;
  status: ExportStatus;
  kind: ExportKind;
  /** Where a delta starts: a previous export, or a point in time (exclusive). */
  since?: { exportId?: string; time: string };
  /** The processors whose files it carries; all when absent. */
  processors?: string[];
  requestedBy?: string;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  /**
   * Upper bound (inclusive) of the `collectedAt` times it covers: when its
   * build started. A delta `since` this export carries exactly the files
   * collected after it.
   */
  cutoff?: string;
  error?: string;
  /** The manifest's aggregate sha256, see the manifest's `seal`. */
  seal?: string;
  parts: BundlePart[];
  /** Entries of the bundle: collected files, checksum sidecars and registry metadata. */
  files: number;
  /** Size of the whole tar stream, the sum of the parts' sizes. */
  totalBytes: number;
}
