// @ts-check

/**
 * Artifact listings are ordered by (processor, id), and the roots view
 * filters them by is_root. With the index on is_root alone PostgreSQL read
 * every root and sorted them for each page. Ending it in the listing's
 * order makes a page of roots an index walk that stops once the page is
 * full. It replaces the index it extends, so writes keep the same number
 * of indexes.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('artifacts', table => {
    table.dropIndex(['is_root'], 'artifacts_root_idx');
  });
  await knex.schema.alterTable('artifacts', table => {
    table.index(['is_root', 'processor', 'id'], 'artifacts_root_idx');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('artifacts', table => {
    table.dropIndex(['is_root', 'processor', 'id'], 'artifacts_root_idx');
  });
  await knex.schema.alterTable('artifacts', table => {
    table.index(['is_root'], 'artifacts_root_idx');
  });
};
