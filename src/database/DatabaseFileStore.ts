import { Knex } from 'knex';
import { ArtifactFileStatus, FileErrorKind } from '../types';
import { applyArtifactScope, ArtifactScope } from './artifactScope';
import { chunks } from './chunks';
import { FileResetScope, FileStats, FilesToQueueQuery, FileStore, StoredFile } from './FileStore';
import { GroupCall } from '../lib/GroupCall';
import { GroupCommit } from '../lib/GroupCommit';
import { claimFilesToCollect } from './operations/claimFile';
import { NamedStatementOptions } from './preparedStatement';
import { expireLeases, listLeaseHolders, takeExpiredLeases } from './operations/expiredLeases';
import { filesWithOwner, listFileRefsToQueue, listFilesToQueue } from './operations/listFilesToQueue';
import { CollectedRecord, markFilesCollected } from './operations/markFilesCollected';
import { resetFiles } from './operations/resetFiles';
import { isStorageKeyReferenced } from './operations/storageKeys';
import { msFromNow, now, toBoolean, toNumber } from './rows/coerce';
import { FileRow, toStoredFile } from './rows/files';
import { WriteCounter } from './WriteCounter';

/** A claim of a file to collect, see {@link DatabaseFileStore.claimFileToCollect}. */
interface Claim {
  fileRef: number;
  worker: string;
  leaseMs: number;
}

/** The knex implementation of {@link FileStore}, for SQLite and PostgreSQL alike. */
export class DatabaseFileStore implements FileStore {
  /** Outcomes of collected files, many to a commit under load. */
  private readonly collected: GroupCommit<CollectedRecord>;
  /** Claims of files to collect, those arriving together in one statement. */
  private readonly claims: GroupCall<Claim, StoredFile | undefined>;

  constructor(
    private readonly db: Knex,
    private readonly writes: WriteCounter,
    private readonly statements: NamedStatementOptions = {},
  ) {
    this.collected = new GroupCommit(async records => {
      this.writes.add(await markFilesCollected(this.db, records, this.statements));
    });
    this.claims = new GroupCall(claims => this.claimBatch(claims));
  }

  listFilesToQueue(query: FilesToQueueQuery): Promise<StoredFile[]> {
    return listFilesToQueue(this.db, query);
  }

  listFileRefsToQueue(query: FilesToQueueQuery): Promise<Array<{ ref: number; runId?: string }>> {
    return listFileRefsToQueue(this.db, query);
  }

  async markQueued(fileRefs: number[], runId?: string): Promise<number> {
    let moved = 0;
    const timestamp = now();
    for (const part of chunks(fileRefs)) {
      moved += await this.db('artifact_files')
        .whereIn('ref', part)
        .where('collected', false)
        .whereNot('status', 'parked')
        .update({ status: 'queued', queued_at: timestamp, ...(runId ? { run_id: runId } : {}) });
    }
    return this.writes.add(moved);
  }

  async getFile(fileRef: number): Promise<StoredFile | undefined> {
    const row = await filesWithOwner(this.db).where('f.ref', fileRef).first();
    return row ? toStoredFile(row) : undefined;
  }

  async claimFile(fileRef: number, worker: string, leaseMs: number): Promise<boolean> {
    const timestamp = now();
    const claimed = await this.db('artifact_files')
      .where({ ref: fileRef, collected: false })
      .where(q => q.whereNull('locked_until').orWhere('locked_until', '<', timestamp).orWhere('locked_by', worker))
      .update({
        locked_by: worker,
        locked_until: msFromNow(leaseMs),
        claimed_at: this.db.raw('COALESCE(claimed_at, ?)', [timestamp]),
      });
    return this.writes.add(claimed) === 1;
  }

  claimFileToCollect(fileRef: number, worker: string, leaseMs: number): Promise<StoredFile | undefined> {
    // The deliveries a broker hands over together are claimed together.
    return this.claims.add({ fileRef, worker, leaseMs });
  }

  /** One statement per worker and lease length, which are all alike in practice. */
  private async claimBatch(claims: Claim[]): Promise<Array<StoredFile | undefined>> {
    const taken = new Map<Claim, StoredFile | undefined>();
    const groups = new Map<string, Claim[]>();
    for (const claim of claims) {
      const key = JSON.stringify([claim.worker, claim.leaseMs]);
      groups.set(key, [...(groups.get(key) ?? []), claim]);
    }
    for (const group of groups.values()) {
      const { worker, leaseMs } = group[0];
      const files = await claimFilesToCollect(this.db, group.map(c => c.fileRef), worker, leaseMs, this.statements);
      this.writes.add(files.size);
      for (const claim of group) taken.set(claim, files.get(claim.fileRef));
    }
    return claims.map(claim => taken.get(claim));
  }

  async releaseFile(fileRef: number, worker: string, options: { unclaim?: boolean } = {}): Promise<void> {
    this.writes.add(
      await this.db('artifact_files')
        .where({ ref: fileRef, locked_by: worker })
        .update({ locked_by: null, locked_until: null, ...(options.unclaim ? { claimed_at: null } : {}) }),
    );
  }

  markCollected(
    fileRef: number,
    result: { size: number; digest: string; storageKey: string },
  ): Promise<void> {
    // Resolves once the record is committed; outcomes that arrive while
    // another is being written share the next commit.
    return this.collected.add({ fileRef, ...result });
  }

  async markFailed(
    fileRef: number,
    result: { error: string; parked: boolean; errorKind?: FileErrorKind },
  ): Promise<void> {
    await this.db.transaction(async tx => {
      const file = await tx<FileRow>('artifact_files').where({ ref: fileRef }).first();
      if (!file || toBoolean(file.collected)) return;
      this.writes.add(
        await tx('artifact_files')
          .where({ ref: fileRef })
          .update({
            status: result.parked ? 'parked' : 'failed',
            error: result.error.slice(0, 4000),
            error_kind: result.errorKind ?? null,
            attempts: file.attempts + 1,
            queued_at: now(),
            locked_by: null,
            locked_until: null,
          }),
      );
      if (result.parked && file.run_id) {
        await tx('mirror_runs').where({ id: file.run_id }).increment({ files_failed: 1 });
      }
    });
  }

  async resetFiles(scope: FileResetScope): Promise<{ moved: number; artifactRefs: number[] }> {
    const reset = await resetFiles(this.db, scope);
    this.writes.add(reset.moved);
    return reset;
  }

  async takeExpiredLeases(): Promise<Array<{ ref: number; runId?: string }>> {
    const taken = await takeExpiredLeases(this.db);
    this.writes.add(taken.length);
    return taken;
  }

  listLeaseHolders(): Promise<string[]> {
    return listLeaseHolders(this.db);
  }

  async expireLeases(workers: string[]): Promise<number> {
    return this.writes.add(await expireLeases(this.db, workers));
  }

  isStorageKeyReferenced(storageKey: string): Promise<boolean> {
    return isStorageKeyReferenced(this.db, storageKey);
  }

  async stats(scope: ArtifactScope = { type: 'all' }): Promise<FileStats[]> {
    const rows: Array<{ processor: string; status: string; files: number | string; bytes: number | string }> =
      await this.db('artifact_files as f')
        .join('artifact_versions as v', 'v.ref', 'f.version_ref')
        .join('artifacts as a', 'a.ref', 'v.artifact_ref')
        .where('v.status', 'selected')
        .modify(q => applyArtifactScope(q, scope, 'a'))
        .groupBy('a.processor', 'f.status')
        .select(
          'a.processor as processor',
          'f.status as status',
          this.db.raw('COUNT(*) as files'),
          this.db.raw('SUM(COALESCE(f.size, 0)) as bytes'),
        );
    return rows.map(r => ({
      processor: r.processor,
      status: r.status as ArtifactFileStatus,
      files: toNumber(r.files),
      bytes: toNumber(r.bytes),
    }));
  }
}
