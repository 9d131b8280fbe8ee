// @ts-check

/**
 * Files gain `verified`: whether their bytes are (before collection: will
 * be) checked against a digest the upstream declared. Files without one are
 * rejected by default or, where `backpack.collection.unverifiedFiles` is
 * `allow`, collected and shown as unverified.
 *
 * Storage keys move to `files/<processor>/<id>/<version>/<name>` (see
 * `src/storage/fileStorageKey.ts`). Moving bytes needs the blob store, so
 * that happens in the plugin's storage key migration task, not here; rows
 * keep their old keys until their bytes are verified at the new ones.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('artifact_files', table => {
    table
      .boolean('verified')
      .notNullable()
      .defaultTo(false)
      .comment('checked against a digest the upstream declared');
  });
  await knex('artifact_files').whereNotNull('integrity_digest').update({ verified: true });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('artifact_files', table => {
    table.dropColumn('verified');
  });
};
