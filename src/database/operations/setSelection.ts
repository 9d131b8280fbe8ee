import { Knex } from 'knex';
import { fromJson } from '../rows/coerce';
import { VersionRow } from '../rows/versions';
import { VersionSelection } from '../VersionGraphStore';

/**
 * Sets the status and reasons of an artifact's versions, in one
 * transaction, writing only rows that change. With `replace` (a full run)
 * versions not listed become `discovered`; without it (a run scoped to one
 * artifact) the reasons are added to what other roots chose, and a selected
 * version stays selected. Returns rows written.
 */
export async function setSelection(
  db: Knex,
  artifactRef: number,
  selections: VersionSelection[],
  options: { replace: boolean },
): Promise<number> {
  const wanted = new Map(selections.map(s => [s.version, s]));
  let written = 0;
  await db.transaction(async tx => {
    const rows: Array<Pick<VersionRow, 'ref' | 'version' | 'status' | 'selection'>> = await tx(
      'artifact_versions',
    )
      .where({ artifact_ref: artifactRef })
      .select('ref', 'version', 'status', 'selection');
    for (const row of rows) {
      let next = wanted.get(row.version);
      if (!options.replace) {
        if (!next) continue;
        next = merged(row, next);
      }
      const status = next?.status ?? 'discovered';
      const selection = JSON.stringify(next?.selection ?? []);
      if (row.status !== status || row.selection !== selection) {
        written += await tx('artifact_versions').where({ ref: row.ref }).update({ status, selection });
      }
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
