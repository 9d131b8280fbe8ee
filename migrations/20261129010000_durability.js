// @ts-check

/**
 * Durability of collection and runs:
 *
 * - `artifact_files.error_kind` says whether a file's last error was
 *   transient (network, timeout, 5xx, 408, 429: worth trying again later,
 *   also after it was parked) or permanent (other 4xx, refused host,
 *   integrity mismatch).
 * - `artifact_files_run_idx` lets a collecting run count its outstanding
 *   files with one indexed statement; `artifact_files_lease_idx` lets the
 *   frequent lease reaper find expired leases without a scan.
 * - `mirror_runs.artifacts_failed` and `files_parked` are the counts behind a
 *   run's `partial` outcome.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('artifact_files', table => {
    table
      .string('error_kind', 16)
      .nullable()
      .comment('transient | permanent: the kind of the last error');
    table.index(['run_id', 'status'], 'artifact_files_run_idx');
    table.index(['locked_until'], 'artifact_files_lease_idx');
  });
  await knex.schema.alterTable('mirror_runs', table => {
    table
      .integer('artifacts_failed')
      .notNullable()
      .defaultTo(0)
      .comment('Artifacts whose discovery failed in this run');
    table
      .integer('files_parked')
      .notNullable()
      .defaultTo(0)
      .comment('Files of this run that were parked when it settled');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('mirror_runs', table => {
    table.dropColumn('files_parked');
    table.dropColumn('artifacts_failed');
  });
  await knex.schema.alterTable('artifact_files', table => {
    table.dropIndex(['run_id', 'status'], 'artifact_files_run_idx');
    table.dropIndex(['locked_until'], 'artifact_files_lease_idx');
  });
  await knex.schema.alterTable('artifact_files', table => {
    table.dropColumn('error_kind');
  });
};
