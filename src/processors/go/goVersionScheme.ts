import { VersionScheme } from '../types';
import { compareGoVersions, compareParsed, GoVersion, parseGoVersion } from './goSemver';

/**
 * The suffix of the walk's go.mod-only versions: `v1.2.0~go.mod` stands for
 * just the go.mod file of v1.2.0 (go.sum writes `v1.2.0/go.mod`, but a
 * version is one path segment), for module versions the go command reads
 * while loading the module graph but does not build (only minimal version
 * selection's choice needs the zip). `~` is in no Go version.
 */
export const GO_MOD_ONLY = '~go.mod';

/** The module version a walk version stands for, and whether it is go.mod-only. */
export function splitWalkVersion(version: string): { version: string; modOnly: boolean } {
  return version.endsWith(GO_MOD_ONLY)
    ? { version: version.slice(0, -GO_MOD_ONLY.length), modOnly: true }
    : { version, modOnly: false };
}

type Comparator = { op: '>=' | '>' | '<=' | '<' | '='; version: GoVersion; raw: string };

/** Parses `>=v1.2.0`, `>= v1.2.0 <v1.5.0`, `v1.2.0`; undefined when it is no range. */
function parseRange(range: string): Comparator[] | undefined {
  const tokens = range.trim().replace(/(>=|<=|>|<|=)\s+/g, '$1').split(/[\s,]+/).filter(Boolean);
  if (tokens.length === 0 || tokens.length > 8) return undefined;
  const comparators: Comparator[] = [];
  for (const token of tokens) {
    const match = /^(>=|<=|>|<|=)?(.*)$/.exec(token)!;
    const version = parseGoVersion(match[2]);
    if (!version) return undefined;
    comparators.push({ op: (match[1] ?? '=') as Comparator['op'], version, raw: match[2] });
  }
  return comparators;
}

function holds(comparator: Comparator, version: GoVersion): boolean {
  const order = compareParsed(version, comparator.version);
  switch (comparator.op) {
    case '>=':
      return order >= 0;
    case '>':
      return order > 0;
    case '<=':
      return order <= 0;
    case '<':
      return order < 0;
    default:
      return order === 0 && version.incompatible === comparator.version.incompatible;
  }
}

/**
 * Go's module versions in the walk. A range is one or more comparators
 * (`>=`, `>`, `<=`, `<`, `=`, space- or comma-separated, all must hold);
 * `>=v1.2.0` is what a go.mod `require` means: that version or a later one
 * of the same major path (a lower bound alone never crosses into the next
 * major, nor into `+incompatible` versions of another one; v0 and v1 share
 * the unsuffixed path). A bare version
 * is exact, and pins it even when the proxy's list lacks it
 * (pseudo-versions, retracted versions a go.mod still requires), as do
 * the walk's go.mod-only versions (`v1.2.0~go.mod`), which no other range
 * selects.
 */
export const goVersionScheme: VersionScheme = {
  name: 'go',
  isValidVersion: version => parseGoVersion(splitWalkVersion(version).version) !== undefined,
  compare(a, b) {
    const [sa, sb] = [splitWalkVersion(a), splitWalkVersion(b)];
    return compareGoVersions(sa.version, sb.version) || Number(sa.modOnly) - Number(sb.modOnly);
  },
  isValidRange: range => pinned(range) !== undefined || parseRange(range) !== undefined,
  satisfies(version, range) {
    const walk = splitWalkVersion(version);
    const pin = pinned(range);
    if (pin !== undefined || walk.modOnly) return pin === version;
    const parsed = parseGoVersion(walk.version);
    const comparators = parseRange(range);
    if (!parsed || !comparators) return false;
    const lower = comparators.find(c => c.op === '>=' || c.op === '>');
    const bounded = comparators.some(c => c.op === '<' || c.op === '<=' || c.op === '=');
    if (lower && !bounded && majorPath(parsed) !== majorPath(lower.version)) return false;
    return comparators.every(c => holds(c, parsed));
  },
  pinnedVersion: range => pinned(range),
};

/** v0 and v1 share a module path; later majors have one each (`/v2`, or `+incompatible`). */
function majorPath(version: GoVersion): number {
  return Math.max(version.major, 1);
}

/** The one version a range names exactly (`v1.2.0`, `=v1.2.0`, `v1.2.0~go.mod`). */
function pinned(range: string): string | undefined {
  const trimmed = range.trim().replace(/^=\s*/, '');
  const { version } = splitWalkVersion(trimmed);
  return parseGoVersion(version) ? trimmed : undefined;
}
