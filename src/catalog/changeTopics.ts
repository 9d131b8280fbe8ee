import { BACKPACK_EVENT_TOPICS } from '../events/topics';

/**
 * Backpack's change events (README, "Change events") after which the
 * catalog entities may differ: a root added, changed or deleted, and a run
 * finished (an artifact's status).
 */
export const CATALOG_CHANGE_TOPICS: string[] = [
  BACKPACK_EVENT_TOPICS.artifactCreated,
  BACKPACK_EVENT_TOPICS.artifactUpdated,
  BACKPACK_EVENT_TOPICS.artifactDeleted,
  BACKPACK_EVENT_TOPICS.runFinished,
];
