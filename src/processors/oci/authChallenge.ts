/**
 * Reads `WWW-Authenticate` challenges (RFC 7235) as registries send them:
 * `Bearer realm="https://auth.example/token",service="registry",scope="repository:a/b:pull"`
 * or `Basic realm="Registry"`. Hostile input is bounded: long headers and
 * parameters are refused, not parsed.
 */

/** One challenge: its scheme (lower case) and parameters (names lower case). */
export interface AuthChallenge {
  scheme: string;
  params: Record<string, string>;
}

const MAX_HEADER = 4096;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/;

/**
 * The challenges of one or more `WWW-Authenticate` values, in order; what
 * does not parse ends the list (a registry that sends garbage gets no
 * credentials).
 */
export function parseChallenges(values: string[]): AuthChallenge[] {
  const challenges: AuthChallenge[] = [];
  for (const value of values) {
    if (value.length > MAX_HEADER) continue;
    let rest = value.trim();
    let current: AuthChallenge | undefined;
    while (rest.length > 0) {
      const name = TOKEN.exec(rest)?.[0];
      if (!name) break;
      const after = rest.slice(name.length).trimStart();
      if (after.startsWith('=')) {
        // A parameter of the current challenge.
        if (!current) break;
        const parsed = parseValue(after.slice(1).trimStart());
        if (!parsed) break;
        current.params[name.toLowerCase()] = parsed.value;
        rest = parsed.rest.replace(/^\s*,?\s*/, '');
      } else {
        current = { scheme: name.toLowerCase(), params: {} };
        challenges.push(current);
        rest = after.replace(/^,?\s*/, '');
      }
    }
  }
  return challenges;
}

function parseValue(text: string): { value: string; rest: string } | undefined {
  if (!text.startsWith('"')) {
    const token = TOKEN.exec(text)?.[0];
    return token ? { value: token, rest: text.slice(token.length) } : undefined;
  }
  let value = '';
  for (let i = 1; i < text.length; i++) {
    const char = text[i];
    if (char === '\\' && i + 1 < text.length) {
      value += text[++i];
    } else if (char === '"') {
      return { value, rest: text.slice(i + 1) };
    } else {
      value += char;
    }
  }
  return undefined;
}
