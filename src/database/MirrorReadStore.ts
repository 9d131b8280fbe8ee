import { ArtifactDependency, FileIntegrity } from '../types';
import { StoredArtifact } from './ArtifactStore';

/**
 * A collected file of a selected version, as the registry views and the
 * export bundles read it.
 */
export interface MirroredFile {
  /** File name, unique within the version. */
  name: string;
  /** The processor's layout hint (e.g. `express/-/express-4.21.2.tgz`); not where the bytes are. */
  path: string;
  /** Key of the bytes in the blob store. */
  storageKey: string;
  /** The digest the upstream published, which the bytes were checked against. */
  integrity?: FileIntegrity;
  /** Lower-case hex sha256 of the stored bytes, when known. */
  sha256?: string;
  size?: number;
  collectedAt?: string;
  /** Whether the bytes were checked against a digest the upstream declared. */
  verified: boolean;
}

/** A selected version with at least one collected file. */
export interface MirroredVersion {
  version: string;
  publishedAt?: string;
  /** Its collected files. */
  files: MirroredFile[];
  /** Whether every file of the version is collected. */
  complete: boolean;
  /** The upstream's record of the version, verbatim, where the processor keeps one. */
  metadata?: string;
}

/** A collected file found by its storage key, with what it belongs to. */
export interface MirroredFileOwner {
  artifact: StoredArtifact;
  version: string;
  file: MirroredFile;
}

/**
 * Read-only queries over what the mirror holds: only collected files of
 * selected versions. The registry views and export bundles read through it;
 * nothing here writes.
 */
export interface MirrorReadStore {
  /** An artifact by its natural key, in the processor's canonical id. */
  getArtifact(processor: string, id: string): Promise<StoredArtifact | undefined>;
  /**
   * The selected versions of an artifact that have at least one collected
   * file, in no particular order.
   */
  listMirroredVersions(artifactRef: number): Promise<MirroredVersion[]>;
  /**
   * A collected file of a selected version by its storage key; undefined
   * when no such file is collected.
   */
  findCollectedFile(
    processor: string,
    storageKey: string,
  ): Promise<MirroredFileOwner | undefined>;
  /**
   * Exactly the named file of one version of one artifact, when it is
   * collected and the version selected; undefined otherwise. The views
   * find files this way, by identity, so a file is found whatever its
   * storage key (also while keys are being migrated).
   */
  findCollectedFileOf(file: {
    processor: string;
    id: string;
    version: string;
    name: string;
  }): Promise<MirroredFileOwner | undefined>;
  /**
   * Every version of an artifact that declares a file of this name (in any
   * state), with the file when it is collected in a selected version. For
   * URLs that name a file without its version: they are answered only
   * when exactly one version has such a file.
   */
  listFilesNamed(
    artifactRef: number,
    name: string,
  ): Promise<Array<{ version: string; file?: MirroredFile }>>;
  /** The processor's artifacts that have at least one mirrored version, sorted by id. */
  listMirroredArtifacts(processor: string): Promise<StoredArtifact[]>;
  /**
   * Declared dependencies (processor, id, range, kind) of the given versions
   * of an artifact, by version.
   */
  getDeclaredDependencies(
    artifactRef: number,
    versions: string[],
  ): Promise<Map<string, DeclaredDependency[]>>;
}

/** A dependency as a version declared it. */
export type DeclaredDependency = Pick<ArtifactDependency, 'processor' | 'id' | 'range' | 'kind'>;
