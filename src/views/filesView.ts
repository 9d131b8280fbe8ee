import { NotFoundError } from '@backstage/errors';
import { BackpackStores } from '../database/createBackpackStores';
import { BlobStore } from '../storage/BlobStore';
import { ServeAccess } from './ServeAccess';
import { ServedFile, servedBlob } from './ServedContent';

/** The processors whose files `/files/` serves, with how many segments their ids have. */
const ID_SEGMENTS: Record<string, number> = { 'github-releases': 2, files: 1 };

/** Options of {@link FilesView}. */
export interface FilesViewOptions {
  stores: Pick<BackpackStores, 'mirror'>;
  blobStore: BlobStore;
}

function decodeAll(segments: string[]): string[] | undefined {
  try {
    return segments.map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

/**
 * Release files and plain files by path, `<processor>/<id>/<version>/<name>`:
 * the collected files of `github-releases` (ids `owner/repo`) and `files`,
 * as their upstream named them. A bundle keeps them at the same paths with
 * unsafe characters percent-encoded per segment (`metadata/staticFiles.ts`);
 * the view answers those spellings too, so one URL scheme serves both.
 */
export class FilesView {
  constructor(private readonly options: FilesViewOptions) {}

  /** The file at `segments` (decoded path segments after the processor); NotFoundError otherwise. */
  async file(processor: string, segments: string[], access: ServeAccess): Promise<ServedFile> {
    const idSegments = ID_SEGMENTS[processor];
    if (idSegments === undefined || segments.length !== idSegments + 2) {
      throw new NotFoundError(`No file at ${processor}/${segments.join('/')}`);
    }
    const candidates = [segments];
    // The bundle's spelling of a name with unsafe characters.
    const decoded = segments.some(s => s.includes('%')) ? decodeAll(segments) : undefined;
    if (decoded) candidates.push(decoded);
    for (const candidate of candidates) {
      const found = await this.options.stores.mirror.findCollectedFileOf({
        processor,
        // Both processors keep ids in lower case.
        id: candidate.slice(0, idSegments).join('/').toLowerCase(),
        version: candidate[idSegments],
        name: candidate[idSegments + 1],
      });
      if (found && access.canRead(found.artifact)) {
        return servedBlob(this.options.blobStore, found.file, 'application/octet-stream');
      }
    }
    throw new NotFoundError(`${processor}/${segments.join('/')} is not mirrored`);
  }
}
