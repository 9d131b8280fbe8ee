import * as pep440 from '@renovatebot/pep440';
import { VersionScheme } from '../types';

const OPERATOR = /^\s*(===|~=|==|!=|<=|>=|<|>)\s*(.*?)\s*$/;

/** Separates alternatives in a union of specifier sets (a Backpack extension). */
export const PEP440_UNION_SEPARATOR = ' || ';

/** The specifier sets of a range; a plain PEP 440 specifier set is one. */
export function splitPep440Range(range: string): string[] {
  return range.split('||').map(part => part.trim());
}

/**
 * Whether any clause of a specifier set names a pre-release, which per
 * PEP 440 admits pre-releases into the set's matches.
 */
function namesPrerelease(specifierSet: string): boolean {
  return specifierSet.split(',').some(clause => {
    const match = OPERATOR.exec(clause);
    if (!match) return false;
    const version = match[2].replace(/\.\*$/, '');
    return pep440.explain(version)?.is_prerelease ?? false;
  });
}

function satisfiesSet(version: string, specifierSet: string): boolean {
  // The library decides pre-release admission per clause, so `>=2.0rc1,<3`
  // would reject 2.0rc1 through its `<3` clause; PEP 440 decides per set.
  const prereleases = namesPrerelease(specifierSet) || undefined;
  return pep440.satisfies(version, specifierSet, { prereleases });
}

/**
 * PEP 440 versions and specifier sets (`>=2,<3`, `~=1.4`, `==1.*`, `!=1.5`).
 * An empty specifier matches every final release; pre-releases match only a
 * set that names one. Several sets joined with `||` match what any of them
 * matches: the processor emits this when a project requires the same
 * dependency on several lines for different environments
 * (`numpy<2; python_version<"3.9"` and `numpy>=2; python_version>="3.9"`).
 */
export const pep440VersionScheme: VersionScheme = {
  name: 'pep440',

  isValidVersion(version: string): boolean {
    return pep440.valid(version) !== null;
  },

  compare(a: string, b: string): number {
    const validA = pep440.valid(a) !== null;
    const validB = pep440.valid(b) !== null;
    if (validA && validB) return pep440.compare(a, b);
    if (validA !== validB) return validA ? 1 : -1;
    if (a === b) return 0;
    return a < b ? -1 : 1;
  },

  isValidRange(range: string): boolean {
    return splitPep440Range(range).every(set => pep440.validRange(set));
  },

  satisfies(version: string, range: string): boolean {
    if (pep440.valid(version) === null) return false;
    return splitPep440Range(range).some(set => satisfiesSet(version, set));
  },
};
