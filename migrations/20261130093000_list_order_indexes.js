// @ts-check

/**
 * The run and export listings are ordered by (created_at, id), newest
 * first, and the runs page may be filtered by status. The indexes they
 * walked ended in created_at, so PostgreSQL sorted every matching row to
 * find a later page (the filtered runs page read all runs of the status).
 * Ending them in id gives the listing's exact order, so a page is an index
 * walk, and a later page reads the skipped entries from the index alone
 * (see `paginate`'s key). Each replaces the index it extends, so writes
 * keep the same number of indexes.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('mirror_runs', table => {
    table.dropIndex(['status', 'created_at'], 'mirror_runs_status_idx');
    table.dropIndex(['created_at'], 'mirror_runs_created_idx');
  });
  await knex.schema.alterTable('mirror_runs', table => {
    table.index(['status', 'created_at', 'id'], 'mirror_runs_status_idx');
    table.index(['created_at', 'id'], 'mirror_runs_created_idx');
  });
  await knex.schema.alterTable('exports', table => {
    table.dropIndex(['created_at'], 'exports_created_idx');
  });
  await knex.schema.alterTable('exports', table => {
    table.index(['created_at', 'id'], 'exports_created_idx');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('mirror_runs', table => {
    table.dropIndex(['status', 'created_at', 'id'], 'mirror_runs_status_idx');
    table.dropIndex(['created_at', 'id'], 'mirror_runs_created_idx');
  });
  await knex.schema.alterTable('mirror_runs', table => {
    table.index(['status', 'created_at'], 'mirror_runs_status_idx');
    table.index(['created_at'], 'mirror_runs_created_idx');
  });
  await knex.schema.alterTable('exports', table => {
    table.dropIndex(['created_at', 'id'], 'exports_created_idx');
  });
  await knex.schema.alterTable('exports', table => {
    table.index(['created_at'], 'exports_created_idx');
  });
};
