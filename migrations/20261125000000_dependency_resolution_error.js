// @ts-check

/**
 * Keeps why a run could not resolve a dependency apart from why its
 * processor declared it unresolvable. `unresolvable` is the processor's word
 * (a git or file spec can never be mirrored) and never changes; the new
 * `resolution_error` is the last run's (unknown package, no satisfying
 * version, failed discovery) and is tried again on every run, also when the
 * parent's metadata answers 304 and its stored dependencies stand in.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('artifact_dependencies', table => {
    table
      .text('resolution_error')
      .nullable()
      .comment('Why the last run could not resolve the range; null when it could');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('artifact_dependencies', table => {
    table.dropColumn('resolution_error');
  });
};
