import { CollectedArtifact, CollectedFile } from '../../database/ExportStore';
import { HubRepo, parseHubRepoId, repoPathOfFileName } from '../../processors/huggingface/hfNames';
import { parseRevisionRecord } from '../../processors/huggingface/revisionRecord';
import { hubFileEntries, revisionDocument } from '../../views/huggingface/hubDocuments';

/**
 * Where a bundle puts Hugging Face content, below `huggingface/<repo>/`
 * (`<repo>` is the artifact id: `owner/name`, `datasets/owner/name`):
 *
 * - `<commit>/<path>` — the files of each mirrored commit, in their
 *   folders: a snapshot directory as `snapshot_download(local_dir=…)`
 *   leaves it, which transformers, diffusers and datasets load from a
 *   local path;
 * - `revisions/<commit>.json` — the commit's revision info, the view's
 *   document (`sha`, `siblings` with sizes, LFS sha256 and git blob ids),
 *   which the far side checks the files against;
 * - `refs/<revision>` — the commit a branch or tag named, as in
 *   huggingface_hub's cache.
 */
export const HUGGINGFACE_ROOT = 'huggingface';

/** The repository of an artifact id a bundle holds; ids were checked when stored. */
function repoOf(id: string): HubRepo | undefined {
  try {
    return parseHubRepoId(id);
  } catch {
    return undefined;
  }
}

/** Bundle path of a collected file. */
export function huggingfaceFilePath(file: Pick<CollectedFile, 'artifactId' | 'version' | 'name'>): string {
  const path = repoPathOfFileName(file.name);
  if (path !== undefined) return `${HUGGINGFACE_ROOT}/${file.artifactId}/${file.version}/${path}`;
  // Not a name the processor gives: kept apart, where no snapshot is.
  return `${HUGGINGFACE_ROOT}/${file.artifactId}/files/${file.version}/${file.name}`;
}

/** The revision documents and refs of one repository in a bundle. */
export function bundleHuggingfaceMetadata(artifact: CollectedArtifact): Array<{ path: string; content: Buffer }> {
  const repo = repoOf(artifact.id);
  if (!repo) return [];
  const base = `${HUGGINGFACE_ROOT}/${artifact.id}`;
  const entries: Array<{ path: string; content: Buffer }> = [];
  const refs = new Map<string, { sha: string; publishedAt: string }>();
  for (const version of artifact.versions) {
    const record = parseRevisionRecord(version.metadata);
    const document = revisionDocument(
      repo,
      { sha: version.version, lastModified: record?.lastModified },
      hubFileEntries(version.files),
    );
    entries.push({
      path: `${base}/revisions/${version.version}.json`,
      content: Buffer.from(`${JSON.stringify(document, null, 2)}\n`),
    });
    // A branch that moved names the most recent commit it named.
    for (const revision of record?.revisions ?? []) {
      const seen = refs.get(revision);
      const publishedAt = version.publishedAt ?? '';
      if (!seen || publishedAt > seen.publishedAt) refs.set(revision, { sha: version.version, publishedAt });
    }
  }
  for (const [revision, { sha }] of refs) {
    if (revision !== sha) entries.push({ path: `${base}/refs/${revision}`, content: Buffer.from(sha) });
  }
  return entries;
}
