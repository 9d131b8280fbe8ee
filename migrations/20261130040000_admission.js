// @ts-check

/**
 * Admission checks:
 *
 * - `version_admissions`: the last verdict on each checked version (allow,
 *   deny or pending-approval), the checks' reasons, the policy revision it
 *   was made under, and a person's approval or rejection, who gave it and
 *   when.
 * - `version_facts`: what the upstream said of each version that checks
 *   read and the version rows do not hold (license, deprecation, yank), so
 *   that a run answered 304 checks the same facts. Versions discovered
 *   before have none: the stored validators are cleared, so the next run
 *   discovers every artifact in full once.
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
    table.timestamp('decided_at', { useTz: true }).notNullable();
    table.string('approval', 16).nullable().comment('approved | rejected');
    table.string('approved_by', 512).nullable();
    table.timestamp('approved_at', { useTz: true }).nullable();
    table.text('approval_comment').nullable();
    table.index(['decision'], 'version_admissions_decision_idx');
  });
  await knex.schema.createTable('version_facts', table => {
    table.comment('What the upstream says of a version that admission checks read');
    table
      .integer('version_ref')
      .unsigned()
      .primary()
      .references('ref')
      .inTable('artifact_versions')
      .onDelete('CASCADE');
    table.text('facts').notNullable().comment('JSON: license, deprecated, yanked');
  });
  await knex.schema.alterTable('artifacts', table => {
    table.text('admission').nullable().comment('JSON: the artifact\'s admission settings');
  });
  await knex('artifacts').update({ validators: null });
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
  await knex.schema.dropTable('version_facts');
  await knex.schema.dropTable('version_admissions');
};
