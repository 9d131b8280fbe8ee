// @ts-check

/**
 * Versions gain `described`: whether their files and dependencies are
 * stored. A run stores the listing of every version but the files and
 * dependencies only of the versions it selects; a later run answered 304
 * that selects a version never described asks the upstream for it rather
 * than taking it to have no files and no dependencies. Rows stored before
 * were stored whole (or are described on demand by their processor), so
 * they count as described.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('artifact_versions', table => {
    table
      .boolean('described')
      .notNullable()
      .defaultTo(true)
      .comment('whether the files and dependencies of the version are stored');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('artifact_versions', table => {
    table.dropColumn('described');
  });
};
