// @ts-check

/**
 * Admission checks:
 *
 * - `version_admissions`: the last verdict on each checked version (allow,
 *   deny or pending-approval), the checks' reasons, the policy revision it
 *   was made under, what the upstream said of the version (license,
 *   deprecation, yanked: stored so that a run answered 304 checks the same
 *   facts), and a person's approval or rejection, who gave it and when.
 * - `artifacts.admission`: an artifact's own admission settings.
 * - `mirror_runs.versions_denied` / `versions_pending`: the run's counters.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('version_admissions', table => {
    table.comment('The admission verdict on a version, and its approval');
    table
      .integer('version_ref')
      .unsigned()
      .primary()
      .references('ref')
      .inTable('artifact_versions')
      .onDelete('CASCADE');
    table.string('decision', 16).notNullable().comment('allow | deny | pending-approval');
    table.text('reasons').notNullable().defaultTo('[]').comment('JSON: [{check, decision, reason}]');
    table.string('revision', 64).notNullable().comment('policy revision of the verdict');
    table.text('metadata').nullable().comment('JSON: license, deprecated, yanked as last discovered');
    table.timestamp('decided_at', { useTz: true }).notNullable();
    table.string('approval', 16).nullable().comment('approved | rejected');
    table.string('approved_by', 512).nullable();
    table.timestamp('approved_at', { useTz: true }).nullable();
    table.text('approval_comment').nullable();
    table.index(['decision'], 'version_admissions_decision_idx');
  });
  await knex.schema.alterTable('artifacts', table => {
    table.text('admission').nullable().comment('JSON: the artifact\'s admission settings');
  });
  await knex.schema.alterTable('mirror_runs', table => {
    table.integer('versions_denied').notNullable().defaultTo(0);
    table.integer('versions_pending').notNullable().defaultTo(0);
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('mirror_runs', table => {
    table.dropColumn('versions_pending');
    table.dropColumn('versions_denied');
  });
  await knex.schema.alterTable('artifacts', table => {
    table.dropColumn('admission');
  });
  await knex.schema.dropTable('version_admissions');
};
