import { NotFoundError } from '@backstage/errors';
import { Knex } from 'knex';
import { DiscoveryOutcome } from '../ArtifactStore';
import { chunks, LOOKUP_CHUNK } from '../chunks';
import { ArtifactRow } from '../rows/artifacts';
import { now } from '../rows/coerce';
import { RowUpdate, updateByRef } from '../updateByRef';

type DiscoveryColumns = Pick<ArtifactRow, 'ref' | 'status' | 'last_error' | 'validators' | 'tags' | 'warnings'>;

/**
 * Records the outcomes of discoveries on their artifacts, writing only
 * what changed, so that a run that finds nothing new writes no rows: a read
 * and a write per {@link LOOKUP_CHUNK} artifacts (a walk records the
 * artifacts it discovered together at once). An artifact that is gone is
 * skipped, or with `mustExist` fails the call with a NotFoundError before
 * anything is written. Runs in the caller's transaction when given one.
 * Returns rows written.
 */
export async function recordDiscoveries(
  db: Knex,
  entries: Array<{ ref: number; outcome: DiscoveryOutcome }>,
  options: { mustExist?: boolean } = {},
): Promise<number> {
  const timestamp = now();
  // Each artifact's row as the entries before leave it: an artifact
  // recorded twice in one call ends as if recorded one after the other.
  const current = new Map<number, DiscoveryColumns>();
  const updates = new Map<number, RowUpdate>();
  for (const part of chunks(entries, LOOKUP_CHUNK)) {
    const unread = [...new Set(part.map(e => e.ref))].filter(ref => !current.has(ref));
    const rows: DiscoveryColumns[] = unread.length
      ? await db<ArtifactRow>('artifacts')
          .whereIn('ref', unread)
          .select('ref', 'status', 'last_error', 'validators', 'tags', 'warnings')
      : [];
    for (const row of rows) current.set(row.ref, row);
    const gone = options.mustExist ? unread.find(ref => !current.has(ref)) : undefined;
    if (gone !== undefined) throw new NotFoundError(`No artifact with ref ${gone}`);
    for (const { ref, outcome } of part) {
      const row = current.get(ref);
      const values = row && changed(row, outcome);
      if (!values) continue;
      current.set(ref, { ...row, ...values });
      // The run id and time are only recorded when something else changed.
      const update = updates.get(ref) ?? { ref, values: {} };
      Object.assign(update.values, values, { last_run_id: outcome.runId, last_run_at: timestamp, updated_at: timestamp });
      updates.set(ref, update);
    }
  }
  return updateByRef(db, 'artifacts', [...updates.values()]);
}

/** The columns an outcome changes on its artifact's row; undefined when none. */
function changed(row: DiscoveryColumns, outcome: DiscoveryOutcome): RowUpdate['values'] | undefined {
  const values: RowUpdate['values'] = {};
  if (row.status !== outcome.status) values.status = outcome.status;
  if ((row.last_error ?? undefined) !== outcome.error) values.last_error = outcome.error ?? null;
  if (outcome.validators) {
    const validators = JSON.stringify(outcome.validators);
    if (row.validators !== validators) values.validators = validators;
  }
  if (outcome.tags) {
    const tags = JSON.stringify(outcome.tags);
    if (row.tags !== tags) values.tags = tags;
  }
  if (outcome.warnings) {
    const warnings = outcome.warnings.length ? JSON.stringify(outcome.warnings) : null;
    if ((row.warnings ?? null) !== warnings) values.warnings = warnings;
  }
  return Object.keys(values).length > 0 ? values : undefined;
}
