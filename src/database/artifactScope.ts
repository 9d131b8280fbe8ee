import { Knex } from 'knex';

/**
 * A filter over artifacts, the query form of a conditional permission
 * decision (see `permissions/rules.ts`).
 */
export type ArtifactFilter =
  | { allOf: ArtifactFilter[] }
  | { anyOf: ArtifactFilter[] }
  | { not: ArtifactFilter }
  | { key: 'processor'; values: string[] }
  | { key: 'root'; value: boolean };

/**
 * Which artifacts a caller may read, in the form queries apply: every one
 * (the read permission is allowed outright), none (denied), or those a
 * conditional decision's query form matches. Reads of things derived from
 * artifacts (runs, statistics, exports) are restricted by it in SQL, so that
 * pages and totals count only what the caller may see.
 */
export type ArtifactScope =
  | { type: 'all' }
  | { type: 'none' }
  | { type: 'some'; filter: ArtifactFilter };

/**
 * Adds a permission filter to a query over `artifacts`, whose columns are
 * qualified with `alias` when given (e.g. `a` in a join).
 */
export function applyArtifactFilter(
  builder: Knex.QueryBuilder,
  filter: ArtifactFilter,
  alias?: string,
): void {
  const column = (name: string) => (alias ? `${alias}.${name}` : name);
  if ('allOf' in filter) {
    builder.where(q =>
      filter.allOf.forEach(f => q.andWhere(sub => applyArtifactFilter(sub, f, alias))),
    );
  } else if ('anyOf' in filter) {
    builder.where(q => {
      if (filter.anyOf.length === 0) q.whereRaw('1 = 0');
      filter.anyOf.forEach(f => q.orWhere(sub => applyArtifactFilter(sub, f, alias)));
    });
  } else if ('not' in filter) {
    builder.whereNot(q => applyArtifactFilter(q, filter.not, alias));
  } else if (filter.key === 'processor') {
    if (filter.values.length === 0) builder.whereRaw('1 = 0');
    else builder.whereIn(column('processor'), filter.values);
  } else {
    builder.where(column('is_root'), filter.value);
  }
}

/** Restricts a query over `artifacts` (as `alias`) to the scope. */
export function applyArtifactScope(
  builder: Knex.QueryBuilder,
  scope: ArtifactScope,
  alias?: string,
): void {
  if (scope.type === 'none') builder.whereRaw('1 = 0');
  else if (scope.type === 'some') builder.where(q => applyArtifactFilter(q, scope.filter, alias));
}

/**
 * Which mirror runs a caller may see: full runs (every root) when
 * `fullRuns`, and runs scoped to an artifact in `scoped`.
 */
export interface RunVisibility {
  fullRuns: boolean;
  scoped: ArtifactScope;
}

/** Restricts a query over `mirror_runs` to the runs a caller may see. */
export function applyRunVisibility(builder: Knex.QueryBuilder, visible: RunVisibility): void {
  // Every run: no condition, which the planner would only have to see through.
  if (visible.fullRuns && visible.scoped.type === 'all') return;
  builder.where(q => {
    if (visible.fullRuns) q.orWhereNull('mirror_runs.scope_processor');
    const { scoped } = visible;
    if (scoped.type === 'all') {
      q.orWhereNotNull('mirror_runs.scope_processor');
    } else if (scoped.type === 'some') {
      // The artifact as it is now: a run of one that was deleted is no
      // longer anyone's to see but theirs who may read everything.
      q.orWhereExists(sub =>
        sub
          .select('scope.ref')
          .from('artifacts as scope')
          .whereRaw('scope.processor = mirror_runs.scope_processor')
          .whereRaw('scope.id = mirror_runs.scope_id')
          .where(f => applyArtifactFilter(f, scoped.filter, 'scope')),
      );
    }
    if (!visible.fullRuns && scoped.type === 'none') q.whereRaw('1 = 0');
  });
}

/**
 * Restricts a query over `exports` to the exports a caller may see: an
 * export is readable when every artifact it carries (`export_artifacts`) is
 * (vacuously so when it carries none); an artifact deleted since counts as
 * unreadable. Exports that have not succeeded carry what is not known yet,
 * so only a caller who may read everything sees them.
 */
export function applyExportVisibility(query: Knex.QueryBuilder, visible: ArtifactScope): void {
  if (visible.type === 'all') return;
  if (visible.type === 'none') {
    query.whereRaw('1 = 0');
    return;
  }
  query.where('exports.status', 'succeeded').whereNotExists(sub =>
    sub
      .select('carried.export_id')
      .from('export_artifacts as carried')
      .leftJoin('artifacts as a', join =>
        join.on('a.processor', 'carried.processor').andOn('a.id', 'carried.artifact_id'),
      )
      .whereRaw('carried.export_id = exports.id')
      .where(q => q.whereNull('a.ref').orWhereNot(f => applyArtifactFilter(f, visible.filter, 'a'))),
  );
}

/**
 * An artifact as a store method takes it: its stored ref, or its
 * (processor, id) when the caller has not read it, so that a listing is one
 * statement rather than a lookup of the artifact and then the listing.
 */
export type ArtifactSelector = number | { processor: string; id: string };

/**
 * The artifact's ref for a `where(column, …)`: the ref itself, or a scalar
 * subquery over the artifacts' natural key (an InitPlan on PostgreSQL, so
 * that the outer statement still walks its own index in order).
 */
export function artifactRefOf(db: Knex, artifact: ArtifactSelector): number | Knex.QueryBuilder {
  if (typeof artifact === 'number') return artifact;
  return db('artifacts').where({ processor: artifact.processor, id: artifact.id }).select('ref');
}
