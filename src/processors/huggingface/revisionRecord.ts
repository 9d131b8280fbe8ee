import { isRevisionName } from './hfConfig';
import { COMMIT } from './hfNames';

/**
 * What Backpack keeps of a mirrored commit (as the version's metadata):
 * the revisions that named it when it was discovered, so the view and
 * bundles can answer `main` with the commit it named.
 */
export interface RevisionRecord {
  sha: string;
  /** The configured revisions (branches, tags) that resolved to this commit. */
  revisions: string[];
  lastModified?: string;
}

/** The record as stored. */
export function formatRevisionRecord(record: RevisionRecord): string {
  return JSON.stringify(record);
}

/** A stored record, checked; undefined for anything else. */
export function parseRevisionRecord(text: string | undefined): RevisionRecord | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as Partial<RevisionRecord>;
    if (typeof value?.sha !== 'string' || !COMMIT.test(value.sha) || !Array.isArray(value.revisions)) {
      return undefined;
    }
    return {
      sha: value.sha,
      // Names become paths of bundles: only what the config could name.
      revisions: value.revisions.filter((r): r is string => typeof r === 'string' && isRevisionName(r)),
      ...(typeof value.lastModified === 'string' ? { lastModified: value.lastModified } : {}),
    };
  } catch {
    return undefined;
  }
}
