import { VersionScheme } from '../types';
import { COMMIT } from './hfNames';

/**
 * Versions of Hugging Face repositories are commits (40-digit shas): the
 * one immutable name of a repository's files. The revisions an artifact
 * mirrors (`main`, `v1.0`) are tags naming them. Commits have no order of
 * their own; they sort by id, which only makes listings stable (each
 * version's `publishedAt` says when it was made). The range language is a
 * commit id, which selects that commit; a regular expression filter
 * (`filterType: regex`) matches commit ids. Which revisions are mirrored
 * is the artifact's `revisions` config, not its filter.
 *
 * @public
 */
export const huggingfaceVersionScheme: VersionScheme = {
  name: 'hf-commit',

  isValidVersion: version => COMMIT.test(version),

  compare(a, b) {
    if (a === b) return 0;
    return a < b ? -1 : 1;
  },

  isValidRange: range => COMMIT.test(range),

  satisfies: (version, range) => version === range,
};
