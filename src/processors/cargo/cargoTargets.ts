/**
 * Whether a target-specific dependency (`target = "cfg(windows)"` or a
 * target triple) applies to one of the configured target triples. The cfg
 * values of a triple are worked out from its parts, as rustc reports them
 * for the common targets; what cannot be told counts as applying, so a
 * dependency is left out only when it certainly does not apply.
 */

type Truth = boolean | undefined;

const ARCHES: Record<string, { arch: string; width: string }> = {
  x86_64: { arch: 'x86_64', width: '64' },
  i686: { arch: 'x86', width: '32' },
  i586: { arch: 'x86', width: '32' },
  i386: { arch: 'x86', width: '32' },
  aarch64: { arch: 'aarch64', width: '64' },
  arm64: { arch: 'aarch64', width: '64' },
  arm: { arch: 'arm', width: '32' },
  armv7: { arch: 'arm', width: '32' },
  thumbv7em: { arch: 'arm', width: '32' },
  riscv64gc: { arch: 'riscv64', width: '64' },
  powerpc64le: { arch: 'powerpc64', width: '64' },
  powerpc64: { arch: 'powerpc64', width: '64' },
  s390x: { arch: 's390x', width: '64' },
  wasm32: { arch: 'wasm32', width: '32' },
  wasm64: { arch: 'wasm64', width: '64' },
  loongarch64: { arch: 'loongarch64', width: '64' },
};

const UNIX_OSES = new Set([
  'linux', 'macos', 'ios', 'android', 'freebsd', 'netbsd', 'openbsd', 'dragonfly', 'solaris', 'illumos',
  'haiku', 'fuchsia', 'redox', 'tvos', 'watchos', 'visionos', 'aix', 'hurd',
]);
const OS_ALIASES: Record<string, string> = { darwin: 'macos' };

/** The cfg values of a target triple, e.g. `x86_64-unknown-linux-gnu`. */
export function targetCfg(triple: string): Map<string, Set<string>> {
  const parts = triple.split('-');
  const arch = ARCHES[parts[0]] ?? (parts[0].startsWith('armv') ? ARCHES.arm : undefined);
  const known = ['linux', 'windows', 'darwin', 'ios', 'android', 'freebsd', 'netbsd', 'openbsd', 'wasi',
    'dragonfly', 'solaris', 'illumos', 'fuchsia', 'redox', 'haiku', 'none', 'emscripten', 'aix', 'hurd'];
  const rest = parts.slice(1);
  const osPart = rest.some(p => p.startsWith('android')) ? 'android' : rest.find(p => known.includes(p));
  const os = osPart ? OS_ALIASES[osPart] ?? osPart : 'unknown';
  const vendor = parts.length > 2 && !known.includes(parts[1]) ? parts[1] : 'unknown';
  const envPart = parts.length > 3 ? parts[3] : '';
  const env = ['gnu', 'msvc', 'musl', 'sgx', 'uclibc', 'newlib'].find(e => envPart.startsWith(e)) ?? '';
  const values = new Map<string, Set<string>>();
  const set = (key: string, value: string) => values.set(key, (values.get(key) ?? new Set()).add(value));
  if (arch) {
    set('target_arch', arch.arch);
    set('target_pointer_width', arch.width);
  }
  set('target_os', os);
  set('target_vendor', vendor);
  set('target_env', env);
  if (UNIX_OSES.has(os)) {
    set('target_family', 'unix');
    set('unix', '');
  }
  if (os === 'windows') {
    set('target_family', 'windows');
    set('windows', '');
  }
  if (parts[0].startsWith('wasm')) set('target_family', 'wasm');
  return values;
}

/** Keys whose values a triple determines; others are unknown. */
const DETERMINED = new Set([
  'target_arch', 'target_pointer_width', 'target_os', 'target_vendor', 'target_env', 'target_family',
  'unix', 'windows',
]);

class CfgParser {
  private pos = 0;
  constructor(
    private readonly text: string,
    private readonly cfg: Map<string, Set<string>>,
  ) {}

  parse(): Truth {
    const value = this.expression();
    this.space();
    if (this.pos !== this.text.length) throw new Error('trailing input');
    return value;
  }

  private space() {
    while (/\s/.test(this.text[this.pos] ?? '')) this.pos++;
  }

  private identifier(): string {
    this.space();
    const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(this.pos));
    if (!match) throw new Error('identifier expected');
    this.pos += match[0].length;
    return match[0];
  }

  private expect(char: string) {
    this.space();
    if (this.text[this.pos] !== char) throw new Error(`'${char}' expected`);
    this.pos++;
  }

  private peek(): string | undefined {
    this.space();
    return this.text[this.pos];
  }

  private list(): Truth[] {
    this.expect('(');
    const items: Truth[] = [];
    while (this.peek() !== ')') {
      items.push(this.expression());
      if (this.peek() === ',') this.pos++;
      else break;
    }
    this.expect(')');
    return items;
  }

  private expression(): Truth {
    const name = this.identifier();
    if (['all', 'any', 'not'].includes(name) && this.peek() === '(') {
      const items = this.list();
      if (name === 'not') {
        if (items.length !== 1) throw new Error('not() takes one predicate');
        return items[0] === undefined ? undefined : !items[0];
      }
      if (name === 'all') {
        if (items.includes(false)) return false;
        return items.includes(undefined) ? undefined : true;
      }
      if (items.includes(true)) return true;
      return items.includes(undefined) ? undefined : false;
    }
    let value: string | undefined;
    if (this.peek() === '=') {
      this.pos++;
      this.space();
      const match = /^"([^"\\]*)"/.exec(this.text.slice(this.pos));
      if (!match) throw new Error('string expected');
      this.pos += match[0].length;
      value = match[1];
    }
    if (!DETERMINED.has(name)) return undefined;
    const values = this.cfg.get(name);
    if (value === undefined) return values !== undefined;
    return values?.has(value) ?? false;
  }
}

/**
 * Whether a dependency's `target` applies to any of `triples`: a triple
 * applies to itself, `cfg(…)` is evaluated; unparsable or undecidable
 * expressions apply (a dependency too many beats an install that fails).
 */
export function targetApplies(target: string, triples: readonly string[]): boolean {
  const trimmed = target.trim();
  if (!/^cfg\s*\(/.test(trimmed)) return triples.includes(trimmed);
  const cfg = /^cfg\s*\((.*)\)$/s.exec(trimmed);
  if (!cfg) return true;
  return triples.some(triple => {
    try {
      return new CfgParser(cfg[1], targetCfg(triple)).parse() !== false;
    } catch {
      return true;
    }
  });
}
