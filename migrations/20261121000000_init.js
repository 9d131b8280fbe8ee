// @ts-check

/**
 * The initial schema: artifacts, their versions, files and dependencies, and
 * mirror runs. Column types are chosen to behave the same on SQLite and
 * PostgreSQL (JSON is stored as text, timestamps with time zone).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('mirror_runs', table => {
    table.comment('One walk of the dependency graph and the collection it queued');
    table.string('id', 36).primary().comment('uuid');
    table.string('trigger', 16).notNullable().comment('schedule | manual | artifact');
    table.string('scope_processor', 64).nullable();
    table.string('scope_id', 512).nullable();
    table.string('requested_by', 512).nullable();
    table.string('status', 16).notNullable().comment('queued | running | succeeded | failed');
    table.string('claimed_by', 128).nullable().comment('replica that runs it');
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.timestamp('started_at', { useTz: true }).nullable();
    table.timestamp('heartbeat_at', { useTz: true }).nullable();
    table.timestamp('finished_at', { useTz: true }).nullable();
    table.text('error').nullable();
    table.integer('artifacts').notNullable().defaultTo(0);
    table.integer('versions_selected').notNullable().defaultTo(0);
    table.integer('files_queued').notNullable().defaultTo(0);
    table.integer('files_collected').notNullable().defaultTo(0);
    table.integer('files_failed').notNullable().defaultTo(0);
    table.bigInteger('bytes').notNullable().defaultTo(0);
    table.index(['status', 'created_at'], 'mirror_runs_status_idx');
    table.index(['created_at'], 'mirror_runs_created_idx');
  });

  await knex.schema.createTable('artifacts', table => {
    table.comment('A package in one ecosystem');
    table.increments('ref').primary();
    table.string('processor', 64).notNullable();
    table.string('id', 512).notNullable();
    table.text('filter').nullable();
    table.string('filter_type', 16).nullable().comment('semver | regex');
    table.text('config').notNullable().defaultTo('{}').comment('JSON');
    table.boolean('is_root').notNullable().defaultTo(false);
    table.string('dependency_policy', 16).notNullable().defaultTo('latest');
    table.string('status', 16).notNullable().defaultTo('pending');
    table.string('last_run_id', 36).nullable();
    table.timestamp('last_run_at', { useTz: true }).nullable();
    table.text('last_error').nullable();
    table.text('validators').nullable().comment('JSON: etag / lastModified of the last discovery');
    table.text('tags').nullable().comment('JSON: named versions, e.g. npm dist-tags');
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.timestamp('updated_at', { useTz: true }).notNullable();
    table.string('created_by', 512).nullable();
    table.unique(['processor', 'id'], { indexName: 'artifacts_natural_key' });
    table.index(['is_root'], 'artifacts_root_idx');
    table.index(['status'], 'artifacts_status_idx');
  });

  await knex.schema.createTable('artifact_versions', table => {
    table.comment('One release of an artifact');
    table.increments('ref').primary();
    table
      .integer('artifact_ref')
      .unsigned()
      .notNullable()
      .references('ref')
      .inTable('artifacts')
      .onDelete('CASCADE');
    table.string('version', 256).notNullable();
    table.string('status', 16).notNullable().defaultTo('discovered').comment('discovered | selected | denied');
    table.text('selection').notNullable().defaultTo('[]').comment('JSON: why selected or denied');
    table.timestamp('discovered_at', { useTz: true }).notNullable();
    table.timestamp('published_at', { useTz: true }).nullable();
    table.unique(['artifact_ref', 'version'], { indexName: 'artifact_versions_key' });
    table.index(['artifact_ref', 'status'], 'artifact_versions_status_idx');
  });

  await knex.schema.createTable('artifact_files', table => {
    table.comment('One downloadable file of a version');
    table.increments('ref').primary();
    table
      .integer('version_ref')
      .unsigned()
      .notNullable()
      .references('ref')
      .inTable('artifact_versions')
      .onDelete('CASCADE');
    table.string('name', 512).notNullable();
    table.text('uri').notNullable();
    table.string('folder', 1024).nullable();
    table.string('storage_key', 1024).notNullable();
    table.string('integrity_algorithm', 16).nullable();
    table.string('integrity_digest', 256).nullable();
    table.bigInteger('size').nullable();
    table.string('status', 16).notNullable().defaultTo('pending').comment('pending | queued | collected | failed | parked');
    table.boolean('collected').notNullable().defaultTo(false);
    table.timestamp('collected_at', { useTz: true }).nullable();
    table.string('collected_digest', 256).nullable().comment('sha256 of the stored bytes');
    table.text('error').nullable();
    table.integer('attempts').notNullable().defaultTo(0);
    table.timestamp('queued_at', { useTz: true }).nullable();
    table.string('locked_by', 128).nullable();
    table.timestamp('locked_until', { useTz: true }).nullable();
    table.string('run_id', 36).nullable().comment('run that queued it last');
    table.unique(['version_ref', 'name'], { indexName: 'artifact_files_key' });
    table.index(['collected', 'status'], 'artifact_files_uncollected_idx');
    table.index(['storage_key'], 'artifact_files_storage_key_idx');
  });

  await knex.schema.createTable('artifact_dependencies', table => {
    table.comment('A direct dependency of a version');
    table.increments('ref').primary();
    table
      .integer('version_ref')
      .unsigned()
      .notNullable()
      .references('ref')
      .inTable('artifact_versions')
      .onDelete('CASCADE');
    table.string('processor', 64).notNullable();
    table.string('dependency_id', 512).notNullable();
    table.string('range', 1024).notNullable();
    table.string('kind', 16).notNullable().comment('runtime | peer | optional');
    table.text('config').notNullable().defaultTo('{}').comment('JSON');
    table.text('resolved').notNullable().defaultTo('[]').comment('JSON: versions the range resolved to');
    table.text('unresolvable').nullable();
    table.unique(['version_ref', 'processor', 'dependency_id', 'kind'], {
      indexName: 'artifact_dependencies_key',
    });
    table.index(['processor', 'dependency_id'], 'artifact_dependencies_target_idx');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('artifact_dependencies');
  await knex.schema.dropTable('artifact_files');
  await knex.schema.dropTable('artifact_versions');
  await knex.schema.dropTable('artifacts');
  await knex.schema.dropTable('mirror_runs');
};
