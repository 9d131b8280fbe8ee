/**
 * Composer's versions (composer/semver): normalised to four numbers with an
 * optional stability suffix (`v1.2` → `1.2.0.0`, `2.0-b3` →
 * `2.0.0.0-beta3`, `1.x-dev` → `1.9999999.9999999.9999999-dev`, branches
 * `dev-<name>`) and compared as PHP's `version_compare` does. Constraints
 * are in `composerConstraint.ts`.
 */

/** Stabilities, most stable first, as Composer ranks them. */
export const STABILITIES = ['stable', 'RC', 'beta', 'alpha', 'dev'] as const;

/** A Composer stability. */
export type Stability = (typeof STABILITIES)[number];

/** Composer's version suffix: stability word, its number, and `-dev`. */
export const MODIFIER = '[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?\\d+)*)?)?([.-]?dev)?';
export const STABILITY_WORDS = 'stable|RC|beta|alpha|dev';
const CLASSICAL = new RegExp(`^v?(\\d{1,5})(\\.\\d+)?(\\.\\d+)?(\\.\\d+)?${MODIFIER}$`, 'i');
const DATE_BASED = new RegExp(`^v?(\\d{4}(?:[.:-]?\\d{2}){1,6}(?:[.:-]?\\d{1,3})?)${MODIFIER}$`, 'i');
const STABILITY_SUFFIX = new RegExp(`${MODIFIER}(?:\\+.*)?$`, 'i');
const NUMERIC_BRANCH = /^v?(\d+)(\.(?:\d+|[xX*]))?(\.(?:\d+|[xX*]))?(\.(?:\d+|[xX*]))?$/i;

/** The stability of a version (`1.0-beta2` → beta, `dev-main` and `2.x-dev` → dev). */
export function parseStability(version: string): Stability {
  const v = version.replace(/#.+$/, '');
  if (v.startsWith('dev-') || v.endsWith('-dev')) return 'dev';
  const match = STABILITY_SUFFIX.exec(v.toLowerCase());
  if (match?.[3]) return 'dev';
  switch (match?.[1]) {
    case 'beta':
    case 'b':
      return 'beta';
    case 'alpha':
    case 'a':
      return 'alpha';
    case 'rc':
      return 'RC';
    default:
      return 'stable';
  }
}

/** A stability as Composer spells it (`rc` → `RC`); undefined when it is none. */
export function normalizeStability(stability: string): Stability | undefined {
  const lower = stability.toLowerCase();
  return STABILITIES.find(s => s.toLowerCase() === lower);
}

/** Rank of a stability: 0 for stable, higher is less stable. */
export const stabilityRank = (stability: Stability): number => STABILITIES.indexOf(stability);

function expandStability(word: string): string {
  const lower = word.toLowerCase();
  if (lower === 'a') return 'alpha';
  if (lower === 'b') return 'beta';
  if (lower === 'p' || lower === 'pl') return 'patch';
  if (lower === 'rc') return 'RC';
  return lower;
}

function normalizeBranch(name: string): string {
  const match = NUMERIC_BRANCH.exec(name.trim());
  if (!match) return `dev-${name.trim()}`;
  let version = '';
  for (let i = 1; i < 5; i++) version += (match[i] ?? '.x').replace(/[*X]/g, 'x');
  return `${version.replace(/x/g, '9999999')}-dev`;
}

/**
 * Composer's normal form of a version; undefined when Composer would refuse
 * it (a version of an upstream listing that is no version is skipped).
 */
export function normalizeComposerVersion(input: string): string | undefined {
  let version = input.trim();
  const alias = /^([^,\s]+) +as +([^,\s]+)$/.exec(version);
  if (alias) version = alias[1];
  version = version.replace(new RegExp(`@(?:${STABILITY_WORDS})$`, 'i'), '');
  if (['master', 'trunk', 'default'].includes(version)) version = `dev-${version}`;
  if (version.toLowerCase().startsWith('dev-')) {
    return version.length > 4 && !/\s/.test(version) ? `dev-${version.slice(4)}` : undefined;
  }
  const build = /^([^,\s+]+)\+\S+$/.exec(version);
  if (build) version = build[1];
  const classical = CLASSICAL.exec(version);
  const dated = classical ? null : DATE_BASED.exec(version);
  const match = classical ?? dated;
  let base: string | undefined;
  let index = 0;
  if (classical) {
    base = `${classical[1]}${classical[2] || '.0'}${classical[3] || '.0'}${classical[4] || '.0'}`;
    index = 5;
  } else if (dated) {
    base = dated[1].replace(/\D/g, '.');
    index = 2;
  }
  if (match && base !== undefined) {
    if (match[index]) {
      if (match[index] === 'stable') return base;
      base += `-${expandStability(match[index])}${(match[index + 1] ?? '').replace(/^[.-]+/, '')}`;
    }
    if (match[index + 2]) base += '-dev';
    return base;
  }
  const dev = /^(.*?)[.-]?dev$/i.exec(version);
  if (dev) {
    const normalized = normalizeBranch(dev[1]);
    if (!normalized.includes('dev-')) return normalized;
  }
  return undefined;
}

// PHP's version_compare: special forms rank below and above numbers.
const SPECIAL_FORMS: Array<[string, number]> = [
  ['dev', 0], ['alpha', 1], ['a', 1], ['beta', 2], ['b', 2], ['RC', 3], ['rc', 3], ['#', 4], ['pl', 5], ['p', 5],
];
const specialRank = (part: string) => SPECIAL_FORMS.find(([name]) => part.startsWith(name))?.[1] ?? -6;
const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';

function canonicalParts(version: string): string[] {
  let out = version[0] ?? '';
  for (let i = 1; i < version.length; i++) {
    const c = version[i];
    const last = version[i - 1];
    const nonDigit = (x: string) => !isDigit(x) && x !== '.';
    if (c === '-' || c === '_' || c === '+' || !/[A-Za-z0-9]/.test(c)) {
      if (!out.endsWith('.')) out += '.';
    } else if ((nonDigit(last) && isDigit(c)) || (isDigit(last) && nonDigit(c))) {
      if (!out.endsWith('.')) out += '.';
      out += c;
    } else {
      out += c;
    }
  }
  return out.split('.');
}

function compareParts(a: string[], b: string[]): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const [x, y] = [a[i], b[i]];
    let result: number;
    if (isDigit(x[0]) && isDigit(y[0])) result = Math.sign(Number(x) - Number(y));
    else if (!isDigit(x[0]) && !isDigit(y[0])) result = Math.sign(specialRank(x) - specialRank(y));
    else result = isDigit(x[0]) ? Math.sign(4 - specialRank(y)) : Math.sign(specialRank(x) - 4);
    if (result !== 0) return result;
  }
  if (a.length > length) return isDigit(a[length][0]) ? 1 : compareParts(a.slice(length), ['#']);
  if (b.length > length) return isDigit(b[length][0]) ? -1 : compareParts(['#'], b.slice(length));
  return 0;
}

/** PHP's `version_compare` of two normalised versions: -1, 0 or 1. */
export function phpVersionCompare(a: string, b: string): number {
  return compareParts(canonicalParts(a), canonicalParts(b));
}
