// @ts-check

/**
 * Export bundles: one row per requested export, and an index that lets an
 * export select the files collected in its time window without a scan.
 * Portable between SQLite and PostgreSQL like the initial schema (JSON as
 * text, timestamps with time zone).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('exports', table => {
    table.comment('An export bundle: the files collected in a time window, as tar parts in the blob store');
    table.string('id', 36).primary().comment('uuid');
    table.string('status', 16).notNullable().comment('queued | running | succeeded | failed');
    table.string('kind', 16).notNullable().comment('full | delta');
    table.string('since_export_id', 36).nullable().comment('the export this one is a delta of');
    table
      .timestamp('since_time', { useTz: true })
      .nullable()
      .comment('lower bound (exclusive) of collected_at; null for a full export');
    table.text('processors').nullable().comment('JSON array of processor names; null for all');
    table.string('requested_by', 512).nullable();
    table.string('claimed_by', 128).nullable().comment('replica that builds it');
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.timestamp('started_at', { useTz: true }).nullable();
    table.timestamp('heartbeat_at', { useTz: true }).nullable();
    table.timestamp('finished_at', { useTz: true }).nullable();
    table
      .timestamp('cutoff_at', { useTz: true })
      .nullable()
      .comment('upper bound (inclusive) of collected_at; the next delta starts after it');
    table.text('error').nullable();
    table.string('manifest_key', 1024).nullable().comment('blob key of manifest.json');
    table.string('seal', 64).nullable().comment('sha256 sealing the manifest');
    table.text('parts').nullable().comment('JSON: name, size and sha256 of every part');
    table.integer('parts_count').notNullable().defaultTo(0);
    table.integer('files_count').notNullable().defaultTo(0);
    table.bigInteger('total_bytes').notNullable().defaultTo(0).comment('size of the tar stream');
    table.index(['created_at'], 'exports_created_idx');
    table.index(['status'], 'exports_status_idx');
  });
  await knex.schema.alterTable('artifact_files', table => {
    table.index(['collected_at'], 'artifact_files_collected_at_idx');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('artifact_files', table => {
    table.dropIndex(['collected_at'], 'artifact_files_collected_at_idx');
  });
  await knex.schema.dropTable('exports');
};
