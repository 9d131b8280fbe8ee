import { InputError } from '@backstage/errors';
import RE2 from 're2';
import { FilterType } from '../types';
import { VersionScheme } from '../processors/types';
import { errorMessage } from '../lib/errorMessage';

/** Longest filter accepted; a version filter is never a document. */
const MAX_FILTER_LENGTH = 1024;

/** A compiled filter: true when the version is selected. */
export type VersionMatcher = (version: string) => boolean;

function compileRegex(filter: string): RE2 {
  try {
    // RE2 evaluates in linear time, so no user pattern can hang the server;
    // patterns that need backtracking (back-references, look-around) are
    // refused here rather than evaluated.
    return new RE2(filter);
  } catch (error) {
    throw new InputError(`filter: invalid regular expression: ${errorMessage(error)}`);
  }
}

/**
 * Works out the filter type when the caller gave none: a valid range of the
 * ecosystem is a range, otherwise a valid regular expression is a regex.
 * Throws an InputError naming the field otherwise.
 */
export function resolveFilterType(
  filter: string,
  filterType: FilterType | undefined,
  scheme: VersionScheme,
): FilterType {
  if (filter.length > MAX_FILTER_LENGTH) {
    throw new InputError(`filter: longer than ${MAX_FILTER_LENGTH} characters`);
  }
  if (filterType === 'semver') {
    if (!scheme.isValidRange(filter)) {
      throw new InputError(
        `filter: '${filter}' is not a valid ${scheme.name} range`,
      );
    }
    return 'semver';
  }
  if (filterType === 'regex') {
    compileRegex(filter);
    return 'regex';
  }
  if (scheme.isValidRange(filter)) return 'semver';
  try {
    compileRegex(filter);
  } catch {
    throw new InputError(
      `filter: '${filter}' is neither a valid ${scheme.name} range nor a valid regular expression`,
    );
  }
  return 'regex';
}

/**
 * Compiles an artifact's filter. An empty filter selects every version.
 * The filter must have been validated with {@link resolveFilterType}.
 */
export function compileVersionFilter(
  filter: string | undefined,
  filterType: FilterType | undefined,
  scheme: VersionScheme,
): VersionMatcher {
  if (!filter) return () => true;
  const type = resolveFilterType(filter, filterType, scheme);
  if (type === 'regex') {
    const regex = compileRegex(filter);
    return version => regex.test(version);
  }
  return version => scheme.satisfies(version, filter);
}
