import * as pep440 from '@renovatebot/pep440';
import { normalizePypiName } from './normalizeName';

/** A PEP 508 environment marker, parsed. */
export type Marker =
  | { type: 'and' | 'or'; left: Marker; right: Marker }
  | { type: 'compare'; lhs: MarkerValue; op: MarkerOperator; rhs: MarkerValue };

/** One side of a marker comparison. */
export type MarkerValue =
  | { kind: 'variable'; name: string }
  | { kind: 'string'; value: string };

/** Comparison operators of PEP 508 markers. */
export type MarkerOperator =
  | '==='
  | '=='
  | '!='
  | '<='
  | '>='
  | '~='
  | '<'
  | '>'
  | 'in'
  | 'not in';

/**
 * Values of marker variables for one target. Each variable has the values the
 * target may take; a value ending in `.*` stands for every version with that
 * prefix (a Python `3.11` target may be any `3.11.x`), and a variable absent
 * from the environment may take any value. A comparison is true when some
 * value satisfies it, so evaluation errs towards mirroring a dependency,
 * never towards missing one.
 */
export type MarkerEnvironment = Record<string, string[]>;

const VARIABLES = new Set([
  'python_version',
  'python_full_version',
  'os_name',
  'sys_platform',
  'platform_release',
  'platform_system',
  'platform_version',
  'platform_machine',
  'platform_python_implementation',
  'implementation_name',
  'implementation_version',
  'extra',
]);

/** Spellings from PEP 345 that installers still accept. */
const LEGACY_VARIABLES: Record<string, string> = {
  'os.name': 'os_name',
  'sys.platform': 'sys_platform',
  'platform.version': 'platform_version',
  'platform.machine': 'platform_machine',
  'platform.python_implementation': 'platform_python_implementation',
  python_implementation: 'platform_python_implementation',
};

type Token =
  | { type: 'string'; value: string }
  | { type: 'word'; value: string }
  | { type: 'op'; value: MarkerOperator }
  | { type: '(' | ')' };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const pattern =
    /\s*(?:(["'])(.*?)\1|(===|==|!=|<=|>=|~=|<|>)|(\(|\))|([A-Za-z_][A-Za-z0-9_.]*))/y;
  let index = 0;
  while (index < text.length) {
    if (/^\s*$/.test(text.slice(index))) break;
    pattern.lastIndex = index;
    const match = pattern.exec(text);
    if (!match) {
      throw new Error(`unexpected '${text.slice(index).trim()}' in marker '${text}'`);
    }
    index = pattern.lastIndex;
    if (match[1]) tokens.push({ type: 'string', value: match[2] });
    else if (match[3]) tokens.push({ type: 'op', value: match[3] as MarkerOperator });
    else if (match[4]) tokens.push({ type: match[4] as '(' | ')' });
    else tokens.push({ type: 'word', value: match[5] });
  }
  return tokens;
}

/** Parses a PEP 508 marker expression; throws on malformed input. */
export function parseMarker(text: string): Marker {
  const tokens = tokenize(text);
  let position = 0;
  const peek = () => tokens[position];
  const fail = (what: string): never => {
    throw new Error(`${what} in marker '${text}'`);
  };

  const value = (): MarkerValue => {
    const token = tokens[position++];
    if (token?.type === 'string') return { kind: 'string', value: token.value };
    if (token?.type === 'word') {
      const name = LEGACY_VARIABLES[token.value] ?? token.value;
      if (!VARIABLES.has(name)) fail(`unknown variable '${token.value}'`);
      return { kind: 'variable', name };
    }
    return fail('expected a variable or a quoted string');
  };

  const operator = (): MarkerOperator => {
    const token = tokens[position++];
    if (token?.type === 'op') return token.value;
    if (token?.type === 'word' && token.value === 'in') return 'in';
    if (token?.type === 'word' && token.value === 'not') {
      const next = tokens[position++];
      if (next?.type === 'word' && next.value === 'in') return 'not in';
    }
    return fail('expected a comparison operator');
  };

  const atom = (): Marker => {
    if (peek()?.type === '(') {
      position++;
      const inner = or();
      if (tokens[position++]?.type !== ')') fail("expected ')'");
      return inner;
    }
    const lhs = value();
    const op = operator();
    const rhs = value();
    return { type: 'compare', lhs, op, rhs };
  };

  const keyword = (word: string) => {
    const token = peek();
    if (token?.type === 'word' && token.value === word) {
      position++;
      return true;
    }
    return false;
  };

  const and = (): Marker => {
    let left = atom();
    while (keyword('and')) left = { type: 'and', left, right: atom() };
    return left;
  };

  function or(): Marker {
    let left = and();
    while (keyword('or')) left = { type: 'or', left, right: and() };
    return left;
  }

  const marker = or();
  if (position !== tokens.length) fail('unexpected trailing input');
  return marker;
}

function compareStrings(lhs: string, op: MarkerOperator, rhs: string): boolean {
  switch (op) {
    case '==':
    case '===':
      return lhs === rhs;
    case '!=':
      return lhs !== rhs;
    case '<':
      return lhs < rhs;
    case '<=':
      return lhs <= rhs;
    case '>':
      return lhs > rhs;
    case '>=':
      return lhs >= rhs;
    case 'in':
      return rhs.includes(lhs);
    case 'not in':
      return !rhs.includes(lhs);
    default:
      // `~=` has no string meaning; an undefined comparison must not drop a dependency.
      return true;
  }
}

/** Like `packaging.markers`: PEP 440 comparison where both sides allow it, else strings. */
function compareValues(lhs: string, op: MarkerOperator, rhs: string): boolean {
  if (op !== 'in' && op !== 'not in') {
    const specifier = `${op}${rhs}`;
    if (pep440.valid(lhs) !== null && pep440.validRange(specifier)) {
      return pep440.satisfies(lhs, specifier, { prereleases: true });
    }
  }
  return compareStrings(lhs, op, rhs);
}

/**
 * Concrete versions standing for a `3.11.*` wildcard when compared with
 * `other`: the first and a late release, and `other` itself when it has the
 * prefix, which together decide every comparison operator.
 */
function expandWildcard(value: string, other: string): string[] {
  if (!value.endsWith('.*')) return [value];
  const prefix = value.slice(0, -2);
  const candidates = [`${prefix}.0`, `${prefix}.999`];
  if (other === prefix || other.startsWith(`${prefix}.`)) candidates.push(other);
  return candidates;
}

function evaluateComparison(
  marker: Extract<Marker, { type: 'compare' }>,
  environment: MarkerEnvironment,
): boolean {
  const { lhs, op, rhs } = marker;
  const variable = [lhs, rhs].find(value => value.kind === 'variable');
  const resolve = (value: MarkerValue): string[] | undefined => {
    if (value.kind === 'string') return [value.value];
    return environment[value.name];
  };
  const left = resolve(lhs);
  const right = resolve(rhs);
  if (!left || !right) return true;
  // Extra names compare in their normal form (PEP 685).
  const normal =
    variable?.kind === 'variable' && variable.name === 'extra' ? normalizePypiName : (s: string) => s;
  return left.some(l =>
    right.some(r =>
      expandWildcard(l, r).some(lv =>
        expandWildcard(r, l).some(rv => compareValues(normal(lv), op, normal(rv))),
      ),
    ),
  );
}

/** Evaluates a parsed marker against one target environment. */
export function evaluateMarker(marker: Marker, environment: MarkerEnvironment): boolean {
  switch (marker.type) {
    case 'and':
      return evaluateMarker(marker.left, environment) && evaluateMarker(marker.right, environment);
    case 'or':
      return evaluateMarker(marker.left, environment) || evaluateMarker(marker.right, environment);
    default:
      return evaluateComparison(marker, environment);
  }
}
