import { StoredArtifact } from '../database/ArtifactStore';
import { VersionGraphStore } from '../database/VersionGraphStore';
import { SelectionReason } from '../types';
import { BackpackEvents } from './BackpackEvents';

const PAGE = 1000;

/**
 * Tells of the versions a run newly selects for one artifact: asked before
 * the run records its selection (one read of the versions selected so
 * far, only when events are published), it returns what to call once the
 * selection is recorded. Versions selected by an earlier run are not told
 * of again.
 */
export async function announceNewSelections(
  events: BackpackEvents | undefined,
  versions: Pick<VersionGraphStore, 'listVersions'>,
  runId: string,
  artifact: Pick<StoredArtifact, 'ref' | 'processor' | 'id'>,
): Promise<(selected: Array<{ version: string; selection: SelectionReason[] }>) => void> {
  if (!events?.enabled) return () => {};
  const before = new Set<string>();
  for (let offset = 0; ; offset += PAGE) {
    const page = await versions.listVersions(artifact.ref, { status: 'selected', limit: PAGE, offset });
    page.items.forEach(v => before.add(v.version));
    if (page.items.length < PAGE) break;
  }
  return selected => {
    const fresh = selected.filter(v => !before.has(v.version));
    events.versionsDecided({
      decision: 'selected',
      artifact: { processor: artifact.processor, id: artifact.id },
      runId,
      versions: fresh.map(v => ({ version: v.version, selection: v.selection })),
    });
  };
}
