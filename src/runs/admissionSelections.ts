import { verdictSummary } from '../closure/admissionGate';
import { ClosureArtifact } from '../closure/ClosureResolver';
import { VersionSelection } from '../database/VersionGraphStore';

/**
 * The statuses a walk leaves on an artifact's versions: `selected`, or
 * `pending-approval` for selected versions that wait for a person (their
 * files are not queued: only `selected` versions are collected, served
 * and exported), and `denied` for those admission refused, with the reason.
 */
export function admissionSelections(artifact: ClosureArtifact): VersionSelection[] {
  return [
    ...artifact.selected.map(v => ({
      version: v.version,
      status: v.admission?.decision === 'pending-approval' ? ('pending-approval' as const) : ('selected' as const),
      selection: v.selection,
    })),
    ...(artifact.refused ?? []).map(r => ({
      version: r.version,
      status: 'denied' as const,
      selection: [...r.selection, { type: 'denied' as const, reason: verdictSummary(r.admission) }],
    })),
  ];
}
