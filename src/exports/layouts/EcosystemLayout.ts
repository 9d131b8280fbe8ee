import { CollectedArtifact, CollectedFile } from '../../database/ExportStore';
import { RangeReader } from '../../lib/zipEntry';

/** A generated entry of a bundle. */
export interface GeneratedEntry {
  path: string;
  content: Buffer;
}

/** A generated entry whose text is produced page by page, for entries that grow with the mirror. */
export interface StreamedEntry {
  path: string;
  /** Called twice: once to measure, once to write; must yield the same text both times. */
  chunks(): AsyncIterable<string>;
}

/** What an ecosystem's layout may read while a bundle is built. */
export interface LayoutContext {
  /** Base URL of tarball URLs in npm packuments; see `metadata/staticNpm.ts`. */
  npmTarballBaseUrl: string;
  /** Where the far side serves the bundle's `nuget/` directory; see `metadata/staticNuget.ts`. */
  nugetFeedBaseUrl?: string;
  /** Where the far side serves the bundle's `composer/` directory; see `metadata/staticComposer.ts`. */
  composerRepositoryUrl?: string;
  /** Ids of a processor's artifacts collected up to the cut-off, page by page. */
  listArtifactIds(processor: string): AsyncIterable<string>;
  /** The package.json in a stored npm tarball, if it has a readable one. */
  readNpmManifest(file: CollectedFile): Promise<Record<string, unknown> | undefined>;
  /** An artifact with every file collected up to the cut-off. */
  collectedArtifact(processor: string, id: string): Promise<CollectedArtifact | undefined>;
  /** A small stored file (an OCI manifest) whole; undefined when missing or over `maxBytes`. */
  readSmallFile(file: CollectedFile, maxBytes: number): Promise<Buffer | undefined>;
  /** Ranged reads of a stored file (a manifest inside a large archive). */
  rangeReaderOf(file: CollectedFile): RangeReader;
}

/**
 * How one ecosystem's files and metadata sit in a bundle, so that a static
 * web server over the unpacked bundle is a registry its client can use
 * (or, for OCI, an image layout its tools read). Every path must name its
 * artifact, version and file so that no two files of a bundle share one;
 * only content-addressed files share a path, the one their digest names,
 * and the bundle carries each such object once.
 */
export interface EcosystemLayout {
  /** The processor whose files it lays out. */
  processor: string;
  /** Bundle path of a collected file. */
  pathOf(file: CollectedFile): string;
  /** Whether checksum sidecars (`.sha1`, `.md5`) follow the file. */
  wantsSidecars?(file: CollectedFile): boolean;
  /** Registry metadata of one artifact the bundle touches. */
  metadataOf?(
    artifact: CollectedArtifact,
    cutoff: string,
    context: LayoutContext,
  ): Promise<GeneratedEntry[]>;
  /**
   * Processor-wide pages of a bundle that touched the processor; async
   * when which pages there are depends on the mirror (one Helm index per
   * repository alias).
   */
  indexesOf?(context: LayoutContext): StreamedEntry[] | Promise<StreamedEntry[]>;
}
