/**
 * NuGet's versions (SemVer 2 with an optional fourth `Revision` part) and
 * its version ranges (interval notation: `1.0` means `>= 1.0`, `[1.0]`
 * exactly, `[1.0,2.0)`, `(,2.0]`, and `*` / `1.*` floats).
 */
import { VersionScheme } from '../types';

/** A parsed NuGet version. */
export interface NugetVersion {
  parts: [number, number, number, number];
  /** Pre-release labels, empty for a release. */
  prerelease: string[];
}

const VERSION = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

/** Longest version string worth parsing; upstream text is hostile. */
const MAX_VERSION_LENGTH = 256;

/** Parses a version; undefined when it is not one NuGet accepts. */
export function parseNugetVersion(text: string): NugetVersion | undefined {
  if (text.length > MAX_VERSION_LENGTH) return undefined;
  const match = VERSION.exec(text.trim());
  if (!match || match[2] === undefined) {
    // NuGet accepts a bare major only in ranges and floats, never as a version.
    return undefined;
  }
  const parts = [1, 2, 3, 4].map(i => Number(match[i] ?? 0));
  if (parts.some(p => !Number.isSafeInteger(p))) return undefined;
  return {
    parts: parts as NugetVersion['parts'],
    prerelease: match[5] ? match[5].split('.') : [],
  };
}

/**
 * NuGet's normalised form (`1.0` → `1.0.0`, `1.0.0.0` → `1.0.0`, metadata
 * dropped), which the v3 protocol uses, lower-cased, in URLs.
 */
export function normalizeNugetVersion(text: string): string | undefined {
  const v = parseNugetVersion(text);
  if (!v) return undefined;
  const [major, minor, patch, revision] = v.parts;
  const core = revision ? `${major}.${minor}.${patch}.${revision}` : `${major}.${minor}.${patch}`;
  return v.prerelease.length ? `${core}-${v.prerelease.join('.')}` : core;
}

function compareLabels(a: string[], b: string[]): number {
  if (a.length === 0 || b.length === 0) return b.length - a.length;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    const xn = /^\d+$/.test(x);
    const yn = /^\d+$/.test(y);
    if (xn && yn) {
      const d = Number(x) - Number(y);
      if (d) return Math.sign(d);
    } else if (xn !== yn) {
      return xn ? -1 : 1;
    } else {
      // NuGet compares labels case-insensitively.
      const c = x.toLowerCase().localeCompare(y.toLowerCase(), 'en');
      if (c) return c;
    }
  }
  return a.length - b.length;
}

function compareParsed(a: NugetVersion, b: NugetVersion): number {
  for (let i = 0; i < 4; i++) {
    const d = a.parts[i] - b.parts[i];
    if (d) return Math.sign(d);
  }
  return Math.sign(compareLabels(a.prerelease, b.prerelease));
}

/** A parsed range: bounds (undefined = open) or a float. */
export interface NugetRange {
  min?: { version: NugetVersion; inclusive: boolean };
  max?: { version: NugetVersion; inclusive: boolean };
  /** `*` or `1.*`: the floating prefix's parts, any release under it. */
  float?: number[];
}

/** Parses a range; undefined when it is not one. */
export function parseNugetRange(text: string): NugetRange | undefined {
  const range = text.trim();
  if (range.length === 0 || range.length > 2 * MAX_VERSION_LENGTH) return undefined;
  const float = /^(?:(\d+(?:\.\d+){0,2})\.)?\*$/.exec(range);
  if (float) return { float: float[1] ? float[1].split('.').map(Number) : [] };
  if (!/^[[(]/.test(range)) {
    const version = parseNugetVersion(range) ?? parseNugetVersion(`${range}.0`);
    return version ? { min: { version, inclusive: true } } : undefined;
  }
  const bracket = /^([[(])\s*([^,\])]*?)\s*(?:(,)\s*([^\])]*?)\s*)?([\])])$/.exec(range);
  if (!bracket) return undefined;
  const [, open, low, comma, high, close] = bracket;
  const parse = (v: string) => (v ? parseNugetVersion(v) ?? parseNugetVersion(`${v}.0`) : undefined);
  if (!comma) {
    // `[1.0]` is the only one-version form.
    const exact = parse(low);
    if (!exact || open !== '[' || close !== ']') return undefined;
    return { min: { version: exact, inclusive: true }, max: { version: exact, inclusive: true } };
  }
  const min = parse(low);
  const max = parse(high);
  if ((low && !min) || (high && !max) || (!min && !max)) return undefined;
  if (min && max && compareParsed(min, max) > 0) return undefined;
  return {
    ...(min ? { min: { version: min, inclusive: open === '[' } } : {}),
    ...(max ? { max: { version: max, inclusive: close === ']' } } : {}),
  };
}

/**
 * Whether a version lies in a range. As NuGet resolves dependencies, a
 * pre-release satisfies a range only when its lower bound is a pre-release.
 */
export function nugetSatisfies(version: NugetVersion, range: NugetRange): boolean {
  if (range.float) {
    return version.prerelease.length === 0 && range.float.every((p, i) => version.parts[i] === p);
  }
  if (version.prerelease.length && !range.min?.version.prerelease.length) return false;
  if (range.min) {
    const c = compareParsed(version, range.min.version);
    if (c < 0 || (c === 0 && !range.min.inclusive)) return false;
  }
  if (range.max) {
    const c = compareParsed(version, range.max.version);
    if (c > 0 || (c === 0 && !range.max.inclusive)) return false;
  }
  return true;
}

/** NuGet's version ordering and range language. */
export const nugetVersionScheme: VersionScheme = {
  name: 'nuget',
  isValidVersion: version => parseNugetVersion(version) !== undefined,
  compare(a, b) {
    const x = parseNugetVersion(a);
    const y = parseNugetVersion(b);
    if (!x || !y) return (x ? 1 : 0) - (y ? 1 : 0) || a.localeCompare(b);
    return compareParsed(x, y) || a.localeCompare(b);
  },
  isValidRange: range => parseNugetRange(range) !== undefined,
  satisfies(version, range) {
    const v = parseNugetVersion(version);
    const r = parseNugetRange(range);
    return !!v && !!r && nugetSatisfies(v, r);
  },
};
