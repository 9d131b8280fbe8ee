import { FileIntegrity } from '../types';

/** A file row whose storage key is not (yet) the one `fileStorageKey` derives. */
export interface LegacyKeyFile {
  ref: number;
  processor: string;
  artifactId: string;
  version: string;
  name: string;
  /** The processor's layout hint. */
  folder?: string;
  uri: string;
  storageKey: string;
  collected: boolean;
  integrity?: FileIntegrity;
  /** What the collector recorded: the sha256 of the bytes it stored (older rows: maybe another digest). */
  collectedDigest?: string;
  size?: number;
}

/**
 * The database side of the storage key migration. Every update is
 * conditional on the row still having the key and collection state it was
 * read with, so replicas migrating at once, collectors and deletions in
 * between never lose or mix up a row.
 */
export interface LegacyKeyStore {
  /**
   * One page, by ref, of the files that may still have a key of the earlier
   * `<processor>/<path>` layout (the caller compares with the derived key).
   */
  listLegacyKeyFiles(page: { afterRef: number; limit: number }): Promise<LegacyKeyFile[]>;
  /**
   * Gives an uncollected file its new key; parks it with `refusal` when
   * given. False when the row changed meanwhile.
   */
  rekeyUncollected(
    ref: number,
    keys: { from: string; to: string },
    refusal?: string,
  ): Promise<boolean>;
  /**
   * Points a collected file at its new key, whose object holds its verified
   * bytes (`sha256`). False when the row changed meanwhile.
   */
  moveCollected(ref: number, keys: { from: string; to: string }, sha256: string): Promise<boolean>;
  /**
   * Takes back a collected file whose stored bytes could not be verified:
   * uncollected at its new key, pending (collected again) or, with
   * `parked`, parked; `reason` becomes its error. False when the row
   * changed meanwhile.
   */
  resetCollected(
    ref: number,
    keys: { from: string; to: string },
    outcome: { reason: string; parked: boolean },
  ): Promise<boolean>;
  /** Whether any file row references the key. */
  isStorageKeyReferenced(storageKey: string): Promise<boolean>;
}
