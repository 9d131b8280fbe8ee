import { Knex } from 'knex';
import { chunks } from '../chunks';
import { RowUpdate, updateByRef } from '../updateByRef';
import { fromJson } from '../rows/coerce';
import { VersionRow } from '../rows/versions';
import { VersionSelection } from '../VersionGraphStore';

type SelectionRow = Pick<VersionRow, 'ref' | 'artifact_ref' | 'version' | 'status' | 'selection'>;

/**
 * Sets the status and reasons of an artifact's versions, in one
 * transaction, writing only rows that change. With `replace` (a full run)
 * versions not listed become `discovered`; without it (a run scoped to one
 * artifact) the reasons are added to what other roots chose, and a selected
 * version stays selected. Returns rows written.
 */
export function setSelection(
  db: Knex,
  artifactRef: number,
  selections: VersionSelection[],
  options: { replace: boolean },
): Promise<number> {
  return setSelections(db, [{ artifactRef, selections }], options);
}

/**
 * {@link setSelection} for many artifacts at once, with a few statements
 * per {@link chunks} of artifacts rather than per artifact: only the rows
 * that may change are read (those not plainly `discovered`, and the wanted
 * ones), through the `(artifact_ref, status)` and `(artifact_ref, version)`
 * indexes, so that a run whose selection did not change reads its selected
 * versions and writes nothing.
 */
export async function setSelections(
  db: Knex,
  entries: Array<{ artifactRef: number; selections: VersionSelection[] }>,
  options: { replace: boolean },
): Promise<number> {
  let written = 0;
  await db.transaction(async tx => {
    for (const part of chunks(entries)) {
      // Written per chunk of artifacts, not gathered for all of them: a
      // first run of thousands of artifacts would hold every update at once.
      const updates: RowUpdate[] = [];
      const wanted = new Map<number, Map<string, VersionSelection>>(
        part.map(e => [e.artifactRef, new Map(e.selections.map(s => [s.version, s]))]),
      );
      const refs = part.map(e => e.artifactRef);
      const rows: SelectionRow[] = await tx('artifact_versions')
        .whereIn('artifact_ref', refs)
        .whereNot('status', 'discovered')
        .select('ref', 'artifact_ref', 'version', 'status', 'selection');
      const seen = new Set(rows.map(r => `${r.artifact_ref}\0${r.version}`));
      const missing = part.flatMap(e =>
        e.selections.filter(s => !seen.has(`${e.artifactRef}\0${s.version}`)).map(s => [e.artifactRef, s.version]),
      );
      for (const pairs of chunks(missing)) {
        rows.push(
          ...(await tx('artifact_versions')
            .whereIn(['artifact_ref', 'version'], pairs)
            .select('ref', 'artifact_ref', 'version', 'status', 'selection')),
        );
      }
      for (const row of rows) {
        let next = wanted.get(row.artifact_ref)?.get(row.version);
        if (!options.replace) {
          if (!next) continue;
          next = merged(row, next);
        }
        const status = next?.status ?? 'discovered';
        const selection = JSON.stringify(next?.selection ?? []);
        if (row.status !== status || row.selection !== selection) {
          updates.push({ ref: row.ref, values: { status, selection } });
        }
      }
      // A first run selects thousands of versions: one statement per
      // hundred, not per version.
      written += await updateByRef(tx, 'artifact_versions', updates);
    }
  });
  return written;
}

/** What a scoped run leaves: its reasons added to the stored ones. */
function merged(
  row: Pick<VersionRow, 'version' | 'status' | 'selection'>,
  next: VersionSelection,
): VersionSelection {
  // Admission's word is on the version, not on a root: a denial or a wait
  // from this run stands whoever selected the version before, and an
  // earlier denial's reason goes once the version is admitted.
  const admitted = next.status === 'selected' || next.status === 'discovered';
  const reasons = fromJson<VersionSelection['selection']>(row.selection, []).filter(
    r => !(admitted && r.type === 'denied'),
  );
  for (const reason of next.selection) {
    const json = JSON.stringify(reason);
    if (!reasons.some(r => JSON.stringify(r) === json)) reasons.push(reason);
  }
  let status = next.status;
  if (admitted && (row.status === 'selected' || next.status === 'selected')) status = 'selected';
  return { version: row.version, status, selection: reasons };
}
