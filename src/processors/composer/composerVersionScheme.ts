import { VersionScheme } from '../types';
import { ComposerConstraint, matchesBounds, parseComposerConstraint } from './composerConstraint';
import { normalizeComposerVersion, parseStability, phpVersionCompare, stabilityRank } from './composerVersion';

/** -1, 0 or 1 by plain string order: a stable, total order where no better one exists. */
const byText = (a: string, b: string) => {
  if (a === b) return 0;
  return a < b ? -1 : 1;
};

/** A bounded memo: a closure walk tests the same versions and constraints many times. */
function memo<T>(limit: number, compute: (input: string) => T): (input: string) => T {
  const entries = new Map<string, T>();
  return input => {
    if (entries.has(input)) return entries.get(input) as T;
    const value = compute(input);
    // Dropping everything at the limit keeps memory bounded without bookkeeping per hit.
    if (entries.size >= limit) entries.clear();
    entries.set(input, value);
    return value;
  };
}

const normalized = memo(100_000, normalizeComposerVersion);
const constraints = memo<ComposerConstraint | undefined>(20_000, parseComposerConstraint);

/**
 * Composer's versions and constraints. Versions are kept as published
 * (`v1.2.3`) and compared in their normal form; branches (`dev-main`) sort
 * below every numbered version, so that a policy choosing the highest
 * version never picks one. A version satisfies a constraint when it lies
 * within its bounds and is no less stable than the constraint admits:
 * stable only, unless the constraint carries a stability flag (`^2.0@beta`,
 * `*@dev`) or names an unstable version (`2.0.0-RC1`, `dev-main`,
 * `1.x-dev`), as Composer infers stability flags.
 *
 * @public
 */
export const composerVersionScheme: VersionScheme = {
  name: 'composer',

  isValidVersion: version => normalized(version) !== undefined,

  compare(a: string, b: string): number {
    const na = normalized(a);
    const nb = normalized(b);
    if (na === undefined || nb === undefined) {
      if (na !== undefined || nb !== undefined) return na !== undefined ? 1 : -1;
      return byText(a, b);
    }
    const aBranch = na.startsWith('dev-');
    const bBranch = nb.startsWith('dev-');
    if (aBranch || bBranch) {
      if (aBranch !== bBranch) return aBranch ? -1 : 1;
      return byText(na, nb);
    }
    return phpVersionCompare(na, nb) || byText(a, b);
  },

  isValidRange: range => constraints(range) !== undefined,

  satisfies(version: string, range: string): boolean {
    const v = normalized(version);
    const constraint = constraints(range);
    if (v === undefined || !constraint) return false;
    if (stabilityRank(parseStability(v)) > stabilityRank(constraint.stability)) return false;
    return matchesBounds(v, constraint);
  },
};
