// @ts-check

/**
 * `run_collected_counts` holds the collected files and bytes of each
 * unfinished run, added to by every group-committed batch of outcomes, so
 * that asking for a run's progress reads a few rows rather than every file
 * of the run. Each batch adds to one of a few shard rows of its run, chosen
 * at random, so that collectors do not queue behind one row lock. A run's
 * counters are counted exactly from its files when it finishes, and its
 * shard rows are then deleted.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('run_collected_counts', table => {
    table.string('run_id', 36).notNullable();
    table.integer('shard').notNullable();
    table.bigInteger('files').notNullable().defaultTo(0);
    table.bigInteger('bytes').notNullable().defaultTo(0);
    table.primary(['run_id', 'shard']);
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('run_collected_counts');
};
