/**
 * Composer's constraints (composer/semver): `^`, `~`, wildcards, hyphen
 * ranges, comparators, `,`/space AND, `|`/`||` OR and `@stability` flags,
 * expanded into the same bounds Composer uses, over normalised versions.
 */
import {
  MODIFIER,
  normalizeComposerVersion,
  normalizeStability,
  parseStability,
  phpVersionCompare,
  Stability,
  STABILITY_WORDS,
  stabilityRank,
} from './composerVersion';

const VERSION_IN_CONSTRAINT = `v?(\\d+)(?:\\.(\\d+))?(?:\\.(\\d+))?(?:\\.(\\d+))?(?:${MODIFIER}|\\.([xX*][.-]?dev))(?:\\+[^\\s]+)?`;
const TILDE = new RegExp(`^~>?${VERSION_IN_CONSTRAINT}$`, 'i');
const CARET = new RegExp(`^\\^${VERSION_IN_CONSTRAINT}$`, 'i');
const HYPHEN = new RegExp(`^(${VERSION_IN_CONSTRAINT}) +- +(${VERSION_IN_CONSTRAINT})$`, 'i');
const X_RANGE = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.[xX*])+$/;
const OR_SPLIT = /\s*\|\|?\s*/;
const AND_SPLIT = /(?<!^|as|[=>< ,]) *(?<!-)[, ](?!-) *(?!,|as|$)/;
const FLAG = new RegExp(`^([^,\\s]*?)@(${STABILITY_WORDS})$`, 'i');

/** One comparison of a constraint, on normalised versions. */
export interface ComposerBound {
  op: '==' | '!=' | '<' | '<=' | '>' | '>=';
  version: string;
}

/** A parsed constraint: any of (all of bounds); an empty group matches everything. */
export interface ComposerConstraint {
  any: ComposerBound[][];
  /** The least stable stability the constraint admits (its `@flags`, or the stability of a version it names). */
  stability: Stability;
}

function bump(parts: Array<string | undefined>, position: number, increment = 0): string {
  const out = [...parts];
  for (let i = 4; i > 0; i--) {
    if (i > position) out[i] = '0';
    else if (i === position && increment) out[i] = String(Number(out[i] || 0) + increment);
  }
  return `${out[1] || '0'}.${out[2] || '0'}.${out[3] || '0'}.${out[4] || '0'}`;
}

const filled = (value: string | undefined) => value !== undefined && value !== '';

/** The last of the numbers 1..`upTo` of a match that is present (1 when none is). */
function lastFilled(m: RegExpExecArray, upTo: number): number {
  for (let i = upTo; i > 1; i--) if (filled(m[i])) return i;
  return 1;
}

/** The caret's position: the left-most non-zero number of major, minor, patch. */
function caretPosition(m: RegExpExecArray): number {
  if (m[1] !== '0' || !filled(m[2])) return 1;
  if (m[2] !== '0' || !filled(m[3])) return 2;
  return 3;
}

const OPERATORS: Record<string, ComposerBound['op']> = { '<>': '!=', '=': '==', '==': '==', '!=': '!=', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };

function mustNormalize(version: string): string {
  const normalized = normalizeComposerVersion(version);
  if (normalized === undefined) throw new Error(`invalid version '${version}'`);
  return normalized;
}

/** One AND part of a constraint as bounds; throws when Composer would refuse it. */
function parseSingle(input: string): ComposerBound[] {
  let constraint = input;
  const alias = /^([^,\s]+) +as +([^,\s]+)$/.exec(constraint);
  if (alias) constraint = alias[1];
  let flag: string | undefined;
  const flagged = FLAG.exec(constraint);
  if (flagged) {
    constraint = flagged[1] !== '' ? flagged[1] : '*';
    if (flagged[2].toLowerCase() !== 'stable') flag = normalizeStability(flagged[2]);
  }
  const ref = /^(dev-[^,\s@]+?|[^,\s@]+?\.x-dev)#.+$/i.exec(constraint);
  if (ref) constraint = ref[1];
  const wildcard = /^(v)?[xX*](\.[xX*])*$/i.exec(constraint);
  if (wildcard) return wildcard[1] || wildcard[2] ? [{ op: '>=', version: '0.0.0.0-dev' }] : [];

  let m = TILDE.exec(constraint);
  if (m) {
    if (constraint.startsWith('~>')) throw new Error(`invalid operator "~>" in '${input}'`);
    let position = lastFilled(m, 4);
    if (m[8]) position++;
    const suffix = !m[5] && !m[7] && !m[8] ? '-dev' : '';
    const low = mustNormalize(constraint.slice(1) + suffix);
    return [
      { op: '>=', version: low },
      { op: '<', version: `${bump(m, Math.max(1, position - 1), 1)}-dev` },
    ];
  }
  m = CARET.exec(constraint);
  if (m) {
    const position = caretPosition(m);
    const suffix = !m[5] && !m[7] && !m[8] ? '-dev' : '';
    return [
      { op: '>=', version: mustNormalize(constraint.slice(1) + suffix) },
      { op: '<', version: `${bump(m, position, 1)}-dev` },
    ];
  }
  m = X_RANGE.exec(constraint);
  if (m) {
    const position = lastFilled(m, 3);
    const low = `${bump(m, position)}-dev`;
    const high = { op: '<' as const, version: `${bump(m, position, 1)}-dev` };
    return low === '0.0.0.0-dev' ? [high] : [{ op: '>=', version: low }, high];
  }
  m = HYPHEN.exec(constraint);
  if (m) {
    const lowSuffix = !m[6] && !m[8] && !m[9] ? '-dev' : '';
    const lower: ComposerBound = { op: '>=', version: mustNormalize(m[1]) + lowSuffix };
    const present = (x: string | undefined) => x === '0' || filled(x);
    if ((present(m[12]) && present(m[13])) || m[15] || m[17] || m[18]) {
      return [lower, { op: '<=', version: mustNormalize(m[10]) }];
    }
    mustNormalize(m[10]);
    const high = ['', m[11], m[12], m[13], m[14]];
    return [lower, { op: '<', version: `${bump(high, present(m[12]) ? 2 : 1, 1)}-dev` }];
  }
  const basic = /^(<>|!=|>=?|<=?|==?)?\s*(.*)$/.exec(constraint)!;
  let version = normalizeComposerVersion(basic[2]);
  if (version === undefined && basic[2].endsWith('-dev') && /^[0-9a-zA-Z-./]+$/.test(basic[2])) {
    version = normalizeComposerVersion(`dev-${basic[2].slice(0, -4)}`);
  }
  if (version === undefined) throw new Error(`could not parse version constraint '${input}'`);
  const op = OPERATORS[basic[1] || '='];
  if (op !== '==' && op !== '!=' && flag && parseStability(version) === 'stable') {
    version += `-${flag}`;
  } else if ((op === '<' || op === '>=') && !new RegExp(`-${MODIFIER}$`).test(basic[2].toLowerCase())) {
    if (!basic[2].startsWith('dev-')) version += '-dev';
  }
  return [{ op, version }];
}

/** The AND parts of each OR part, split as Composer splits them. */
function splitConstraint(constraint: string): string[][] {
  return constraint
    .trim()
    .split(OR_SPLIT)
    .map(or => or.split(AND_SPLIT));
}

/** The least stable stability a constraint admits, as Composer infers stability flags. */
function constraintStability(parts: string[]): Stability {
  let flagged: Stability | undefined;
  for (const part of parts) {
    const match = new RegExp(`^[^@]*?@(${STABILITY_WORDS})$`, 'i').exec(part);
    const stability = match && normalizeStability(match[1]);
    if (stability && (!flagged || stabilityRank(stability) > stabilityRank(flagged))) flagged = stability;
  }
  if (flagged) return flagged;
  let inferred: Stability = 'stable';
  for (const part of parts) {
    const version = part.replace(/^([^,\s@]+) as .+$/, '$1');
    if (!/^[^,\s@]+$/.test(version)) continue;
    const stability = parseStability(version.replace(/^(<>|!=|>=?|<=?|==?|\^|~)/, ''));
    if (stabilityRank(stability) > stabilityRank(inferred)) inferred = stability;
  }
  return inferred;
}

/** Parses a constraint; undefined when Composer would refuse it. */
export function parseComposerConstraint(constraint: string): ComposerConstraint | undefined {
  if (constraint.trim() === '' || constraint.length > 1024) return undefined;
  try {
    const groups = splitConstraint(constraint);
    return {
      any: groups.map(parts => parts.flatMap(parseSingle)),
      stability: constraintStability(groups.flat()),
    };
  } catch {
    return undefined;
  }
}

function boundMatches(version: string, bound: ComposerBound): boolean {
  const aBranch = version.startsWith('dev-');
  const bBranch = bound.version.startsWith('dev-');
  if (bound.op === '!=' && (aBranch || bBranch)) return version !== bound.version;
  if (aBranch || bBranch) return aBranch && bBranch && bound.op === '==' && version === bound.version;
  const c = phpVersionCompare(version, bound.version);
  switch (bound.op) {
    case '==':
      return c === 0;
    case '!=':
      return c !== 0;
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    default:
      return c >= 0;
  }
}

/**
 * Whether a normalised version lies within the bounds of a constraint,
 * whatever its stability.
 */
export function matchesBounds(normalized: string, constraint: ComposerConstraint): boolean {
  return constraint.any.some(group => group.every(bound => boundMatches(normalized, bound)));
}
