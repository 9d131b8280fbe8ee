// @ts-check

/**
 * Versions gain `metadata`: the upstream's own record of the version,
 * byte for byte, for views that serve it unchanged (a Cargo index line,
 * whose bytes Cargo reads and whose `cksum` it checks downloads against).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('artifact_versions', table => {
    table.text('metadata').nullable().comment("the upstream's record of the version, verbatim");
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('artifact_versions', table => {
    table.dropColumn('metadata');
  });
};
