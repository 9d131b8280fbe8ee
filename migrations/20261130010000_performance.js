// @ts-check

/**
 * For runs and collection at scale:
 *
 * - partial indexes of the versions a mirror selects (see below);
 * - files gain `claimed_at`: when a collector first claimed the file. A
 *   file never claimed cannot have bytes stored under its key by an
 *   earlier attempt, so the collector skips the blob store's HEAD for it
 *   (one round trip per file); a file claimed before may have been
 *   uploaded by a replica that crashed before recording it, and is checked.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('artifact_versions', table => {
    // Partial indexes over the few versions a mirror selects, out of every
    // version its upstreams list: recording a run's selection reads the
    // versions that are not plainly discovered, and queueing files starts
    // from the selected ones; both were sequential scans of every version.
    table.index(['artifact_ref'], 'artifact_versions_chosen_idx', {
      predicate: knex.whereRaw("status <> 'discovered'"),
    });
    table.index(['ref'], 'artifact_versions_selected_idx', {
      predicate: knex.whereRaw("status = 'selected'"),
    });
  });
  await knex.schema.alterTable('artifact_files', table => {
    table.timestamp('claimed_at', { useTz: true }).nullable().comment('when a collector first claimed the file');
  });
  // Files with a lease or attempts were claimed before this column existed.
  await knex('artifact_files')
    .where(q => q.whereNotNull('locked_by').orWhere('attempts', '>', 0))
    .update({ claimed_at: knex.fn.now() });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('artifact_versions', table => {
    table.dropIndex(['artifact_ref'], 'artifact_versions_chosen_idx');
    table.dropIndex(['ref'], 'artifact_versions_selected_idx');
  });
  await knex.schema.alterTable('artifact_files', table => {
    table.dropColumn('claimed_at');
  });
};
