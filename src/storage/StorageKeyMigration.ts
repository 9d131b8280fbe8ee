import { LoggerService } from '@backstage/backend-plugin-api';
import { pipeline } from 'node:stream/promises';
import { IntegrityError, IntegrityStream } from '../collection/IntegrityStream';
import { BackpackStores } from '../database/createBackpackStores';
import { LegacyKeyFile } from '../database/LegacyKeyStore';
import { sleep } from '../lib/retry';
import { BlobStore } from './BlobStore';
import { fileRefusal } from './fileRefusal';
import { fileStorageKey, isContentAddressedKey } from './fileStorageKey';
import { FileIntegrity } from '../types';

const PAGE = 200;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Options of {@link StorageKeyMigration}. */
export interface StorageKeyMigrationOptions {
  stores: Pick<BackpackStores, 'legacyKeys'>;
  blobStore: BlobStore;
  logger: LoggerService;
  /**
   * How long old objects stay after the last row moved off them, so that a
   * view that read a row just before it moved still finds the bytes.
   * Default 60 s.
   */
  graceMs?: number;
}

/** What one {@link StorageKeyMigration.run} did. */
export interface StorageKeyMigrationResult {
  /** Collected files whose bytes were verified and copied to their new key. */
  moved: number;
  /** Uncollected files that got their new key. */
  rekeyed: number;
  /** Collected files whose stored bytes were not theirs (or missing): to be collected again. */
  reset: number;
  /** Files parked because their name, version or path is refused. */
  refused: number;
  /** Old objects deleted because no file references them any more. */
  deleted: number;
}

/**
 * The storage key layout of earlier releases, `<processor>/<path>`, which
 * let files of different artifacts or versions share a key.
 *
 * @deprecated Keys are derived by `fileStorageKey` (`storage/fileStorageKey.ts`);
 * this layout is only what {@link StorageKeyMigration} moves away from.
 */
export function storageKeyOf(processor: string, path: string): string {
  return `${processor}/${path.replace(/^\/+/, '')}`;
}

/**
 * Moves files stored under the keys of earlier releases
 * (`<processor>/<path>`, which two files could share) to the keys
 * `fileStorageKey` derives.
 *
 * For a collected file the old object is streamed through a check against
 * the digest recorded when the file was collected and stored at the new
 * key; only then does the row point there. Where several files shared an
 * old key, only the one whose recorded digest the bytes match keeps them;
 * the others are reset to be collected again. Old objects no row
 * references any more are deleted at the end, after a grace period.
 *
 * Idempotent and safe on several replicas: every row update is
 * conditional on the key it was read with, and a repeated copy writes the
 * same verified bytes. Views find files by identity, so they serve the
 * right bytes before, during and after the move.
 */
export class StorageKeyMigration {
  constructor(private readonly options: StorageKeyMigrationOptions) {}

  async run(signal?: AbortSignal): Promise<StorageKeyMigrationResult> {
    const { stores, blobStore, logger } = this.options;
    const store = stores.legacyKeys;
    const result: StorageKeyMigrationResult = { moved: 0, rekeyed: 0, reset: 0, refused: 0, deleted: 0 };
    const oldKeys = new Set<string>();
    for (let afterRef = 0; ; ) {
      signal?.throwIfAborted();
      const page = await store.listLegacyKeyFiles({ afterRef, limit: PAGE });
      for (const file of page) {
        const to = fileStorageKey({ ...file });
        if (file.storageKey === to || isContentAddressedKey(file.storageKey)) continue;
        oldKeys.add(file.storageKey);
        await this.migrate(file, to, result);
      }
      if (page.length < PAGE) break;
      afterRef = page[page.length - 1].ref;
    }
    if (oldKeys.size > 0) {
      await sleep(this.options.graceMs ?? 60_000, signal);
      for (const key of oldKeys) {
        if (await store.isStorageKeyReferenced(key)) continue;
        await blobStore.delete(key);
        result.deleted += 1;
      }
    }
    if (oldKeys.size > 0 || result.moved + result.rekeyed + result.reset > 0) {
      logger.info(
        `Storage keys: ${result.moved} files moved with verified bytes, ${result.rekeyed} uncollected files re-keyed, ` +
          `${result.reset} reset to be collected again, ${result.refused} refused, ${result.deleted} old objects deleted`,
      );
    }
    return result;
  }

  private async migrate(file: LegacyKeyFile, to: string, result: StorageKeyMigrationResult) {
    const { stores, logger } = this.options;
    const store = stores.legacyKeys;
    const keys = { from: file.storageKey, to };
    const refusal = fileRefusal({ name: file.name, version: file.version, path: file.folder });
    if (!file.collected) {
      if (await store.rekeyUncollected(file.ref, keys, refusal)) {
        result.rekeyed += 1;
        if (refusal) result.refused += 1;
      }
      return;
    }
    if (refusal) {
      if (await store.resetCollected(file.ref, keys, { reason: refusal, parked: true })) {
        result.refused += 1;
      }
      return;
    }
    const copied = await this.copyVerified(file, to);
    if (copied.sha256) {
      if (await store.moveCollected(file.ref, keys, copied.sha256)) result.moved += 1;
      return;
    }
    logger.warn(`${file.processor}:${file.artifactId}@${file.version} ${file.name}: ${copied.problem}`);
    if (await store.resetCollected(file.ref, keys, { reason: copied.problem!, parked: false })) {
      result.reset += 1;
    }
  }

  /**
   * Copies the old object to `to` through a check against the file's
   * recorded digest; nothing is left at `to` when the check fails.
   */
  private async copyVerified(
    file: LegacyKeyFile,
    to: string,
  ): Promise<{ sha256?: string; problem?: string }> {
    const { blobStore } = this.options;
    // The sha256 the collector recorded identifies exactly the bytes this
    // file was collected with; older rows may only have the upstream's digest.
    const expected: FileIntegrity | undefined =
      file.collectedDigest && SHA256_HEX.test(file.collectedDigest)
        ? { algorithm: 'sha256', digest: file.collectedDigest }
        : file.integrity;
    if (!expected) {
      return { problem: 'no recorded digest to verify its stored bytes against; collecting it again' };
    }
    const blob = await blobStore.get(file.storageKey);
    if (!blob) return { problem: 'its stored bytes are missing; collecting it again' };
    const verify = new IntegrityStream({ integrity: expected, size: file.size });
    // As the collector does: the store consumes `verify`, whose failure at
    // the end of the stream aborts the upload, so nothing lands at `to`.
    const upload = blobStore.put(to, verify, {
      size: blob.size,
      metadata: {
        ...(file.integrity ? { integrity: `${file.integrity.algorithm}-${file.integrity.digest}` } : {}),
        source: file.uri,
      },
    });
    const outcomes = await Promise.allSettled([
      pipeline(blob.body, verify),
      upload.catch(error => {
        blob.body.destroy();
        verify.destroy();
        throw error;
      }),
    ]);
    const reasons = outcomes
      .filter((o): o is PromiseRejectedResult => o.status === 'rejected')
      .map(o => o.reason);
    if (reasons.some(reason => reason instanceof IntegrityError)) {
      return {
        problem:
          'its stored bytes do not match the digest recorded at collection ' +
          '(another file shared its storage key); collecting it again',
      };
    }
    if (reasons.length > 0) throw reasons[0];
    return { sha256: verify.result!.sha256 };
  }
}
