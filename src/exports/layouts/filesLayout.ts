import { filesBundlePath } from '../metadata/staticFiles';
import { EcosystemLayout } from './EcosystemLayout';

/**
 * Release files and plain files: each file at
 * `files/<processor>/<id>/<version>/<name>`, the path the view serves it
 * at (see `metadata/staticFiles.ts`), so a static web server over the
 * unpacked bundle answers the same URLs. No metadata: clients fetch files
 * by name.
 */
function filesLayoutOf(processor: string): EcosystemLayout {
  return { processor, pathOf: file => filesBundlePath(processor, file) };
}

/** The `github-releases` processor's files. */
export const githubReleasesLayout = filesLayoutOf('github-releases');

/** The `files` processor's files. */
export const plainFilesLayout = filesLayoutOf('files');
