// @ts-check

/**
 * A version may depend on one package under two ranges: npm aliases such as
 * `"string-width": "^5.1.2"` next to
 * `"string-width-cjs": "npm:string-width@^4.2.0"` need both versions. The
 * range joins the key of a dependency so that neither overwrites the other.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('artifact_dependencies', table => {
    table.dropUnique(
      ['version_ref', 'processor', 'dependency_id', 'kind'],
      'artifact_dependencies_key',
    );
  });
  await knex.schema.alterTable('artifact_dependencies', table => {
    table.unique(['version_ref', 'processor', 'dependency_id', 'kind', 'range'], {
      indexName: 'artifact_dependencies_key',
    });
  });
};

/**
 * Keeps one row per (version, processor, dependency, kind), the first, as
 * the old key demands.
 *
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  const keep = knex('artifact_dependencies')
    .min('ref')
    .groupBy('version_ref', 'processor', 'dependency_id', 'kind');
  await knex('artifact_dependencies').whereNotIn('ref', keep).delete();
  await knex.schema.alterTable('artifact_dependencies', table => {
    table.dropUnique(
      ['version_ref', 'processor', 'dependency_id', 'kind', 'range'],
      'artifact_dependencies_key',
    );
  });
  await knex.schema.alterTable('artifact_dependencies', table => {
    table.unique(['version_ref', 'processor', 'dependency_id', 'kind'], {
      indexName: 'artifact_dependencies_key',
    });
  });
};
