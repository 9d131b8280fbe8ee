/**
 * A go.mod parser for what the module graph needs: `module`, `go`,
 * `require` (with `// indirect`), `exclude` and `retract`, single lines or
 * blocks. `replace` and `godebug` apply only in the main module, so they
 * are read past; unknown directives too, as the go command does for
 * dependencies' go.mod files.
 */
import { InputError } from '@backstage/errors';
import { parseGoVersion } from './goSemver';
import { modulePathProblem, versionFitsPath } from './modulePath';

/** A `require` line. */
export interface GoRequirement {
  path: string;
  version: string;
  indirect: boolean;
}

/** A parsed go.mod. */
export interface GoModFile {
  module?: string;
  /** The `go` directive's language version, e.g. `1.21`. */
  go?: string;
  require: GoRequirement[];
  exclude: Array<{ path: string; version: string }>;
  /** Retracted intervals (a single version has `low === high`). */
  retract: Array<{ low: string; high: string }>;
}

/** Lines a go.mod may have; real ones have hundreds. */
const MAX_LINES = 100_000;

/** Splits a line into tokens (quoted strings unquoted) and its `//` comment. */
function tokenize(line: string, where: string): { tokens: string[]; comment: string } {
  const tokens: string[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
    } else if (line.startsWith('//', i)) {
      return { tokens, comment: line.slice(i + 2).trim() };
    } else if (c === '"' || c === '`') {
      const end = c === '"' ? findQuoteEnd(line, i) : line.indexOf('`', i + 1);
      if (end < 0) throw new InputError(`${where}: unterminated string`);
      const raw = line.slice(i, end + 1);
      tokens.push(c === '`' ? raw.slice(1, -1) : unquote(raw, where));
      i = end + 1;
    } else if (c === '(' || c === ')' || c === '[' || c === ']' || c === ',') {
      tokens.push(c);
      i++;
    } else {
      let j = i;
      while (j < line.length && !' \t\r()[],"`'.includes(line[j]) && !line.startsWith('//', j)) j++;
      tokens.push(line.slice(i, j));
      i = j;
    }
  }
  return { tokens, comment: '' };
}

function unquote(raw: string, where: string): string {
  try {
    return JSON.parse(raw) as string;
  } catch {
    throw new InputError(`${where}: unsupported escape in ${raw.slice(0, 40)}`);
  }
}

function findQuoteEnd(line: string, start: number): number {
  for (let i = start + 1; i < line.length; i++) {
    if (line[i] === '\\') i++;
    else if (line[i] === '"') return i;
  }
  return -1;
}

/** A module path a directive names; an upstream's go.mod must not steer URLs elsewhere. */
function modulePath(token: string, where: string): string {
  const problem = modulePathProblem(token);
  if (problem) throw new InputError(`${where}: '${token.slice(0, 100)}' is not a module path: it ${problem}`);
  return token;
}

function version(token: string | undefined, where: string): string {
  if (token === undefined || !parseGoVersion(token)) {
    throw new InputError(`${where}: '${token ?? ''}' is not a canonical module version`);
  }
  return token;
}

/** Parses a go.mod; an InputError names the file and line of what it cannot read. */
export function parseGoMod(text: string, name: string): GoModFile {
  const result: GoModFile = { require: [], exclude: [], retract: [] };
  const lines = text.split('\n');
  if (lines.length > MAX_LINES) throw new InputError(`${name}: more than ${MAX_LINES} lines`);
  let block: string | undefined;
  lines.forEach((line, index) => {
    const where = `${name}:${index + 1}`;
    const { tokens, comment } = tokenize(line, where);
    if (tokens.length === 0) return;
    if (block !== undefined && tokens.length === 1 && tokens[0] === ')') {
      block = undefined;
      return;
    }
    let verb: string;
    let args: string[];
    if (block !== undefined) {
      verb = block;
      args = tokens;
    } else if (tokens.length === 2 && tokens[1] === '(') {
      block = tokens[0];
      return;
    } else {
      [verb, ...args] = tokens;
    }
    directive(result, verb, args, comment, where);
  });
  if (block !== undefined) throw new InputError(`${name}: unterminated ${block} block`);
  return result;
}

function directive(mod: GoModFile, verb: string, args: string[], comment: string, where: string) {
  switch (verb) {
    case 'module':
      mod.module = args[0];
      break;
    case 'go':
      mod.go = args[0];
      break;
    case 'require':
      if (args.length !== 2) throw new InputError(`${where}: require needs a path and a version`);
      if (!versionFitsPath(modulePath(args[0], where), version(args[1], where))) {
        throw new InputError(`${where}: ${args[1]} is not a version of ${args[0]} (its major version path)`);
      }
      mod.require.push({ path: args[0], version: args[1], indirect: /^indirect(;|$)/.test(comment) });
      break;
    case 'exclude':
      if (args.length !== 2) throw new InputError(`${where}: exclude needs a path and a version`);
      mod.exclude.push({ path: modulePath(args[0], where), version: version(args[1], where) });
      break;
    case 'retract':
      if (args[0] === '[') {
        if (args.length !== 5 || args[2] !== ',' || args[4] !== ']') {
          throw new InputError(`${where}: retract interval must be [low, high]`);
        }
        mod.retract.push({ low: version(args[1], where), high: version(args[3], where) });
      } else {
        const single = version(args[0], where);
        mod.retract.push({ low: single, high: single });
      }
      break;
    default:
      // replace, toolchain, godebug and future directives: not the graph's.
      break;
  }
}
