import semver from 'semver';
import { semverScheme } from '../npm/semverScheme';
import { VersionScheme } from '../types';

/** One clause of a Terraform version constraint: an operator and a (possibly partial) version. */
const CLAUSE = /^(~>|>=|<=|!=|>|<|=)?\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(-[0-9A-Za-z.-]+)?$/;

type Predicate = (version: semver.SemVer) => boolean;

interface ParsedClause {
  test: Predicate;
  /** The exact version an `=` clause (or a bare version) names: the only way a prerelease matches. */
  exact?: string;
}

function parseClause(clause: string): ParsedClause | undefined {
  const match = CLAUSE.exec(clause.trim());
  if (!match) return undefined;
  const [, op = '=', major, minor, patch, pre = ''] = match;
  const full = `${major}.${minor ?? 0}.${patch ?? 0}${pre}`;
  const bound = semver.parse(full);
  if (!bound) return undefined;
  switch (op) {
    case '=':
      return { test: v => v.compare(bound) === 0, exact: bound.version };
    case '!=':
      return { test: v => v.compare(bound) !== 0 };
    case '>':
      return { test: v => v.compare(bound) > 0 };
    case '>=':
      return { test: v => v.compare(bound) >= 0 };
    case '<':
      return { test: v => v.compare(bound) < 0 };
    case '<=':
      return { test: v => v.compare(bound) <= 0 };
    default: {
      // `~>` lets only the right-most given part grow: ~> 1.2 is >= 1.2.0, < 2.0.0;
      // ~> 1.2.3 is >= 1.2.3, < 1.3.0; ~> 1 is >= 1.0.0, < 2.0.0.
      const upper =
        patch === undefined
          ? semver.parse(`${Number(major) + 1}.0.0`)!
          : semver.parse(`${major}.${Number(minor) + 1}.0`)!;
      return { test: v => v.compare(bound) >= 0 && v.compare(upper) < 0 };
    }
  }
}

/**
 * A Terraform version constraint (`~> 1.2`, `>= 1.0, < 2.0`, `!= 1.3.0`,
 * `1.2.3`) as a predicate, or undefined when it is not one. As in
 * Terraform, a prerelease matches only a clause naming it exactly.
 */
export function parseTerraformConstraint(range: string): ((version: string) => boolean) | undefined {
  if (range.length > 512) return undefined;
  const clauses = range.split(',').map(parseClause);
  if (clauses.length === 0 || clauses.some(c => c === undefined)) return undefined;
  const parsed = clauses as ParsedClause[];
  return version => {
    const v = semver.parse(version);
    if (!v) return false;
    if (v.prerelease.length > 0 && !parsed.some(c => c.exact === v.version)) return false;
    return parsed.every(c => c.test(v));
  };
}

/** Whether a range is written in Terraform's constraint language rather than semver's. */
function isTerraformSyntax(range: string): boolean {
  return range.includes(',') || range.includes('~>') || range.includes('!=');
}

/**
 * Provider versions: semver 2.0 ordering, and ranges in Terraform's
 * constraint language (`~> 1.2`, `>= 1.0, < 2.0`, `!=`) or, for ranges
 * without its operators, in npm's semver range language.
 *
 * @public
 */
export const terraformVersionScheme: VersionScheme = {
  name: 'terraform',
  isValidVersion: version => semver.valid(version) === version,
  compare: semverScheme.compare,
  isValidRange(range) {
    return isTerraformSyntax(range)
      ? parseTerraformConstraint(range) !== undefined
      : semverScheme.isValidRange(range);
  },
  satisfies(version, range) {
    if (!isTerraformSyntax(range)) return semverScheme.satisfies(version, range);
    return parseTerraformConstraint(range)?.(version) ?? false;
  },
};
