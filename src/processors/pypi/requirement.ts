import * as pep440 from '@renovatebot/pep440';
import { Marker, parseMarker } from './markers';
import { normalizePypiName } from './normalizeName';

/** A PEP 508 dependency specification, as found in `Requires-Dist`. */
export interface Requirement {
  /** The project name as written. */
  name: string;
  /** Requested extras in normal form. */
  extras: string[];
  /** A PEP 440 specifier set without spaces; empty when any version will do. */
  specifier: string;
  /** Set for `name @ url` requirements, which no index can satisfy. */
  url?: string;
  marker?: Marker;
}

const HEAD = /^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[([^\]]*)\])?\s*/;

/** Splits `spec ; marker` at the first `;`, which a specifier never contains. */
function splitMarker(rest: string): [string, string | undefined] {
  const index = rest.indexOf(';');
  if (index < 0) return [rest, undefined];
  return [rest.slice(0, index), rest.slice(index + 1)];
}

/** Normalises a specifier set: no parentheses, no spaces, clauses joined by `,`. */
function normalizeSpecifier(text: string): string {
  let spec = text.trim();
  if (spec.startsWith('(') && spec.endsWith(')')) spec = spec.slice(1, -1);
  return spec
    .split(',')
    .map(clause => clause.replace(/\s+/g, ''))
    .filter(Boolean)
    .join(',');
}

/**
 * Parses one PEP 508 requirement (`name[extra1,extra2] (>=1,<2) ; marker`,
 * or `name @ url ; marker`). Throws with the reason on malformed input.
 */
export function parseRequirement(line: string): Requirement {
  const head = HEAD.exec(line);
  if (!head) throw new Error(`'${line}' does not start with a project name`);
  const name = head[1];
  const extras = (head[2] ?? '')
    .split(',')
    .map(extra => extra.trim())
    .filter(Boolean)
    .map(normalizePypiName);
  const rest = line.slice(head[0].length);

  if (rest.startsWith('@')) {
    // A URL may itself contain ';', so the marker of a URL requirement must
    // be separated by whitespace before the ';' (PEP 508).
    const match = /^@\s*(\S+)(?:\s+;(.*))?\s*$/.exec(rest);
    if (!match) throw new Error(`malformed URL requirement '${line}'`);
    return {
      name,
      extras,
      specifier: '',
      url: match[1],
      marker: match[2] ? parseMarker(match[2]) : undefined,
    };
  }

  const [specText, markerText] = splitMarker(rest);
  const specifier = normalizeSpecifier(specText);
  if (!pep440.validRange(specifier)) {
    throw new Error(`invalid version specifier '${specText.trim()}' in '${line}'`);
  }
  return {
    name,
    extras,
    specifier,
    marker: markerText !== undefined ? parseMarker(markerText) : undefined,
  };
}
