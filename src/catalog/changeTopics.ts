/**
 * Backpack's change events (README, "Change events") after which the
 * catalog entities may differ: a root added, changed or deleted, and a run
 * finished (an artifact's status). Names only, so the catalog module needs
 * nothing of the publisher in Backpack's plugin.
 */
export const CATALOG_CHANGE_TOPICS = [
  'backpack.artifact.created',
  'backpack.artifact.updated',
  'backpack.artifact.deleted',
  'backpack.run.finished',
];
