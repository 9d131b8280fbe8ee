import { CollectedArtifact, CollectedFile } from '../database/ExportStore';
import { fileRefusal, layoutPathProblem } from '../storage/fileRefusal';
import { FILE_KEY_ROOT, fileStorageKey } from '../storage/fileStorageKey';
import { BUILT_IN_LAYOUTS } from './layouts/builtInLayouts';
import {
  EcosystemLayout,
  GeneratedEntry,
  LayoutContext,
  StreamedEntry,
} from './layouts/EcosystemLayout';

export type { GeneratedEntry, StreamedEntry } from './layouts/EcosystemLayout';

const LAYOUTS = new Map<string, EcosystemLayout>(BUILT_IN_LAYOUTS.map(layout => [layout.processor, layout]));

/**
 * Bundle path of a collected file. Throws for a file whose name or
 * version is not one safe path segment, which the collector refuses to
 * collect in the first place.
 */
export function bundlePathOf(file: CollectedFile): string {
  const refusal = fileRefusal({ name: file.name, version: file.version });
  if (refusal) {
    throw new Error(`${file.processor}:${file.artifactId}@${file.version}: ${refusal}`);
  }
  const layout = LAYOUTS.get(file.processor);
  const path = layout
    ? layout.pathOf(file)
    : fileStorageKey(file).slice(FILE_KEY_ROOT.length + 1);
  const problem = layoutPathProblem(path);
  if (problem) throw new Error(`${file.processor}:${file.artifactId}: bundle path ${path} ${problem}`);
  return path;
}

/** Options of {@link BundleLayout}. */
export type BundleLayoutOptions = LayoutContext;

/**
 * Where each file of a bundle goes and which registry metadata accompanies
 * it, so that a static web server over the unpacked bundle is a registry:
 * `npm/` for npm, `pypi/simple/` for pip, `maven/` for Maven. Files of other
 * processors go to their storage key below `files/`
 * (`<processor>/<id>/<version>/<name>`, each part encoded) and get no
 * metadata.
 *
 * Every file's path names its artifact, version and file name, each as one
 * path segment, so no two files of a bundle share a path.
 *
 * Metadata always covers everything collected up to the bundle's cut-off
 * for the artifacts it touches, so unpacking a full bundle and then its
 * deltas in order over the same directory leaves complete registries.
 */
export class BundleLayout {
  private readonly layouts = LAYOUTS;

  constructor(private readonly options: BundleLayoutOptions) {}

  /**
   * Bundle path of a collected file; see {@link bundlePathOf}.
   */
  pathOf(file: CollectedFile): string {
    return bundlePathOf(file);
  }

  /** Whether `.sha1`/`.md5` sidecars are written after the file. */
  wantsSidecars(file: CollectedFile): boolean {
    return this.layouts.get(file.processor)?.wantsSidecars?.(file) ?? false;
  }

  /** Registry metadata of one artifact touched by the bundle. */
  async metadataOf(artifact: CollectedArtifact, cutoff: string): Promise<GeneratedEntry[]> {
    if (artifact.versions.length === 0) return [];
    const layout = this.layouts.get(artifact.processor);
    return (await layout?.metadataOf?.(artifact, cutoff, this.options)) ?? [];
  }

  /** Processor-wide pages of a bundle that touched the processor. */
  async indexesOf(processor: string): Promise<StreamedEntry[]> {
    return (await this.layouts.get(processor)?.indexesOf?.(this.options)) ?? [];
  }
}
