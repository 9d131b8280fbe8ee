// @ts-check

/**
 * Authorization and hostile input:
 *
 * - `artifacts.warnings`: what the last discovery dropped from the
 *   upstream's answer (a version too long for its column, a file name with a
 *   slash, two different files under one name), so that nothing is dropped
 *   silently.
 * - `export_artifacts`: which artifacts an export carries (files, metadata or
 *   index entries), recorded while it is built, so that an export is shown
 *   only to callers who may read every one of them. Keyed by export; an
 *   export may carry thousands.
 * - `exports.request_key`: what was asked for (kind, window, processors),
 *   unique among queued and running exports, so that concurrent identical
 *   requests, from any replica, share one build.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('artifacts', table => {
    table.text('warnings').nullable().comment('JSON: what the last discovery dropped, capped');
  });
  await knex.schema.createTable('export_artifacts', table => {
    table.comment('The artifacts an export carries');
    table.string('export_id', 36).notNullable().references('id').inTable('exports').onDelete('CASCADE');
    table.string('processor', 64).notNullable();
    table.string('artifact_id', 512).notNullable();
    table.primary(['export_id', 'processor', 'artifact_id']);
  });
  await knex.schema.alterTable('exports', table => {
    table.string('request_key', 64).nullable().comment('sha256 of kind, window and processors');
  });
  // A partial unique index: SQLite and PostgreSQL both have them, knex's
  // schema builder does not for both.
  await knex.raw(
    "CREATE UNIQUE INDEX exports_active_request_idx ON exports (request_key) WHERE status IN ('queued', 'running')",
  );
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.raw('DROP INDEX exports_active_request_idx');
  await knex.schema.alterTable('exports', table => {
    table.dropColumn('request_key');
  });
  await knex.schema.dropTable('export_artifacts');
  await knex.schema.alterTable('artifacts', table => {
    table.dropColumn('warnings');
  });
};
