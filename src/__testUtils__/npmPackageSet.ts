import semver from 'semver';
import { SyntheticNpmManifest, SyntheticNpmPackage } from './verdaccio';

// A generated npm package set that looks like a real closure (express's, in
// small): scoped and plain names, many versions per package with prereleases
// above and below, every kind of range npm packages use, optional
// dependencies, peers (and optional peers, which npm does not install), npm
// aliases, dev dependencies that must not be followed, diamonds that select
// two versions of one package, and a cycle. The tests publish it into
// verdaccio instead of reading the frozen corpus, so that they stand alone.

/** A generated package set and the closure a correct walk selects from it. */
export interface GeneratedNpmPackageSet {
  /** The root and the version to mirror, as `express@4.21.2` is in the corpus. */
  root: { name: string; version: string };
  /** Every package to publish, with versions and packages outside the closure. */
  packages: SyntheticNpmPackage[];
  /** `name@version` of every version the closure rule selects, sorted. */
  closure: string[];
  /** The distinct package names of the closure. */
  names: string[];
  /** The version a range of a package resolves to under the closure rule. */
  resolve(name: string, range: string): string | undefined;
}

/** Options of {@link generateNpmPackageSet}. */
export interface NpmPackageSetOptions {
  /** Prefix of every name (`<prefix>-x`, `@<prefix>/x`), so that sets can share a registry. */
  prefix?: string;
  /** How many packages the graph has, decoys included; 28 by default. */
  size?: number;
  /** Seed of the generator; the same seed gives the same set. */
  seed?: number;
}

const WORDS = [
  'server', 'core', 'accepts', 'body-parser', 'bytes', 'content-type', 'cookie', 'debug',
  'depd', 'destroy', 'encodeurl', 'escape-html', 'etag', 'finalhandler', 'fresh',
  'http-errors', 'inherits', 'mime', 'ms', 'negotiator', 'on-finished', 'parseurl', 'qs',
  'range-parser', 'safe-buffer', 'send', 'statuses', 'type-is', 'vary', 'chalk',
  'ansi-styles', 'supports-color', 'color-convert', 'graceful-fs', 'micromatch',
  'picomatch', 'braces', 'fill-range', 'to-regex-range', 'is-number',
];

/** A small deterministic PRNG (mulberry32). */
function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    /** An integer in [0, n). */
    int: (n: number) => Math.floor(next() * n),
    chance: (p: number) => next() < p,
  };
}

type Random = ReturnType<typeof random>;

/** Published versions: a few majors of minors and patches, and prereleases. */
function versionsOf(rng: Random): string[] {
  const versions: string[] = [];
  const first = 1 + rng.int(2);
  const majors = 1 + rng.int(3);
  for (let major = first; major < first + majors; major++) {
    const minors = 1 + rng.int(4);
    for (let minor = 0; minor < minors; minor++) {
      const patches = 1 + rng.int(3);
      for (let patch = 0; patch < patches; patch++) versions.push(`${major}.${minor}.${patch}`);
    }
    // A release candidate of the next minor, which no plain range selects.
    if (rng.chance(0.3)) versions.push(`${major}.${minors}.0-rc.1`);
  }
  // The next major in beta, above every stable version.
  if (rng.chance(0.5)) versions.push(`${first + majors}.0.0-beta.${1 + rng.int(3)}`);
  return semver.sort(versions);
}

const stable = (versions: string[]) => versions.filter(v => !semver.prerelease(v));

/** A range of a given style that the anchor version satisfies. */
function rangeFor(style: number, anchor: string): string {
  const { major, minor, patch } = semver.parse(anchor)!;
  switch (style) {
    case 0:
      return `^${anchor}`;
    case 1:
      return `~${anchor}`;
    case 2:
      return anchor;
    case 3:
      return `>=${major}.${minor}.0 <${major + 1}.0.0`;
    case 4:
      return `${major}.${minor}.x`;
    case 5:
      return `${major}.0.0 - ${major}.${minor}.${patch}`;
    case 6:
      return `^${major}.${minor}.0 || ^${major + 1}.0.0`;
    default:
      return `${major}.x`;
  }
}
const RANGE_STYLES = 8;

/** `npm:<name>@<range>` as `[name, range]`. */
function parseAlias(spec: string): [string, string] | undefined {
  if (!spec.startsWith('npm:')) return undefined;
  const target = spec.slice(4);
  const at = target.indexOf('@', 1);
  return at < 0 ? [target, ''] : [target.slice(0, at), target.slice(at + 1)];
}

/**
 * The closure rule of the corpus (see the fixtures README): from the roots,
 * every `dependencies`, `optionalDependencies` and non-optional
 * `peerDependencies` range of a chosen version resolves to the highest
 * published version that satisfies it (a dist-tag to the version it
 * names; an alias to its target); repeat to a fixpoint.
 */
export function npmClosureOf(
  packages: SyntheticNpmPackage[],
  roots: Array<{ name: string; version: string }>,
): string[] {
  const byName = new Map(packages.map(p => [p.name, p]));
  const resolve = closureResolver(byName);
  const chosen = new Set<string>();
  const pending = [...roots];
  while (pending.length) {
    const { name, version } = pending.pop()!;
    if (chosen.has(`${name}@${version}`)) continue;
    chosen.add(`${name}@${version}`);
    const manifest = byName.get(name)!.versions[version];
    const optionalPeers = new Set(
      Object.entries(manifest.peerDependenciesMeta ?? {})
        .filter(([, meta]) => meta.optional)
        .map(([peer]) => peer),
    );
    const edges = [
      ...Object.entries(manifest.dependencies ?? {}),
      ...Object.entries(manifest.optionalDependencies ?? {}),
      ...Object.entries(manifest.peerDependencies ?? {}).filter(([peer]) => !optionalPeers.has(peer)),
    ];
    for (const [key, spec] of edges) {
      const [target, range] = parseAlias(spec) ?? [key, spec];
      const resolved = resolve(target, range);
      if (resolved) pending.push({ name: target, version: resolved });
    }
  }
  return [...chosen].sort();
}

function closureResolver(byName: Map<string, SyntheticNpmPackage>) {
  return (name: string, range: string): string | undefined => {
    const pkg = byName.get(name);
    if (!pkg) return undefined;
    const tagged = pkg.distTags?.[range];
    if (tagged) return tagged;
    return semver.maxSatisfying(Object.keys(pkg.versions), range || '*') ?? undefined;
  };
}

/**
 * Generates a package set with a root whose closure has every feature named
 * above; the same options give the same set. Throws if a seed happens to
 * miss one of them, so that a test never silently loses coverage.
 */
export function generateNpmPackageSet(options: NpmPackageSetOptions = {}): GeneratedNpmPackageSet {
  const { prefix = 'gen', size = 28, seed = 7 } = options;
  const rng = random(seed);
  const count = Math.max(8, Math.min(size, WORDS.length));
  // Every fourth is scoped, like @types/x or @babel/x; 1 is the framework
  // the plugins peer on.
  const names = WORDS.slice(0, count).map((word, i) =>
    i === 1 || i % 4 === 3 ? `@${prefix}/${word}` : `${prefix}-${word}`,
  );
  const versions = names.map(() => versionsOf(rng));
  const manifests: Array<Record<string, SyntheticNpmManifest>> = versions.map(list =>
    Object.fromEntries(list.map(v => [v, {}])),
  );
  const decoys = names.slice(count - 2);
  const graph = names.slice(0, count - 2);
  const core = 1;
  const coreStable = stable(versions[core]);
  const coreTop = semver.parse(coreStable[coreStable.length - 1])!;

  /**
   * Adds an edge from every version of `from` to `to`: older versions of
   * `from` depend on older versions of `to`, as real packages do.
   */
  const link = (from: number, to: number, field: keyof SyntheticNpmManifest, style: number, key?: string) => {
    const anchors = stable(versions[to]);
    versions[from].forEach((version, k) => {
      const anchor = anchors[Math.floor((k * anchors.length) / versions[from].length)];
      const range = rangeFor(style, anchor);
      const manifest = manifests[from][version];
      const entries = ((manifest[field] as Record<string, string> | undefined) ??= {});
      entries[key ?? names[to]] = key ? `npm:${names[to]}@${range}` : range;
    });
  };

  // A tree over the graph: each package has a parent before it, so that
  // every one is reached; then extra edges forward (diamonds) and one back
  // (a cycle). The framework is only reached from the root and by peers.
  for (let to = 2; to < graph.length; to++) {
    const from = to === 2 ? 0 : [0, ...Array.from({ length: to - 2 }, (_, i) => i + 2)][rng.int(to - 1)];
    link(from, to, 'dependencies', rng.int(RANGE_STYLES));
  }
  for (let extra = 0; extra < graph.length; extra++) {
    const from = 2 + rng.int(graph.length - 3);
    const to = from + 1 + rng.int(graph.length - from - 1);
    const field = rng.chance(0.2) ? 'optionalDependencies' : 'dependencies';
    const existing = [manifests[from][versions[from][0]].dependencies, manifests[from][versions[from][0]].optionalDependencies];
    if (existing.some(e => e && names[to] in e)) continue;
    link(from, to, field, rng.int(RANGE_STYLES));
  }
  // An alias, as @isaacs/cliui has `string-width-cjs: npm:string-width@^4`.
  const aliased = graph.length - 1;
  link(2, aliased, 'dependencies', 0, `${names[aliased].replace(/^@[^/]+\//, '')}-cjs`);
  // A cycle: the deepest package requires the third again, at any version.
  for (const version of versions[graph.length - 1]) {
    (manifests[graph.length - 1][version].dependencies ??= {})[names[2]] = '*';
  }
  // The root requires the framework's latest minor; two plugins peer on its major.
  for (const version of versions[0]) {
    (manifests[0][version].dependencies ??= {})[names[core]] = `^${coreTop.major}.${coreTop.minor}.0`;
  }
  for (const plugin of [3, 4]) {
    for (const version of versions[plugin]) {
      const manifest = manifests[plugin][version];
      manifest.peerDependencies = { [names[core]]: `^${coreTop.major}.0.0`, [decoys[0]]: '*' };
      // npm does not install an optional peer, and neither does a mirror.
      manifest.peerDependenciesMeta = { [decoys[0]]: { optional: true } };
    }
  }
  // Development dependencies are never followed.
  for (const version of versions[0]) manifests[0][version].devDependencies = { [decoys[1]]: '*' };
  // The root has a command, as jest has.
  for (const version of versions[0]) manifests[0][version].bin = { [names[0]]: 'bin/cli.js' };

  const packages: SyntheticNpmPackage[] = names.map((name, i) => {
    const top = stable(versions[i]);
    const next = versions[i].filter(v => semver.prerelease(v)).pop();
    return {
      name,
      versions: manifests[i],
      distTags: { latest: top[top.length - 1], ...(next ? { next } : {}) },
    };
  });

  // The root version to mirror: not the latest, so that a walk that takes
  // the latest selects the wrong one.
  const rootStable = stable(versions[0]);
  const root = { name: names[0], version: rootStable[Math.max(0, rootStable.length - 2)] };
  const closure = npmClosureOf(packages, [root]);
  const closureNames = [...new Set(closure.map(pair => pair.slice(0, pair.lastIndexOf('@'))))].sort();
  const set: GeneratedNpmPackageSet = {
    root,
    packages,
    closure,
    names: closureNames,
    resolve: closureResolver(new Map(packages.map(p => [p.name, p]))),
  };
  assertFeatures(set, decoys, names[graph.length - 1]);
  return set;
}

/** The closure must have what the set promises, whatever the seed. */
function assertFeatures(set: GeneratedNpmPackageSet, decoys: string[], cycleStart: string) {
  const inClosure = (name: string) => set.names.includes(name);
  const manifestsInClosure = set.closure.map(pair => {
    const at = pair.lastIndexOf('@');
    return set.packages.find(p => p.name === pair.slice(0, at))!.versions[pair.slice(at + 1)];
  });
  const missing = [
    set.names.some(n => n.startsWith('@')) ? undefined : 'a scoped package',
    set.names.length < set.closure.length ? undefined : 'two versions of one package',
    manifestsInClosure.some(m => Object.values(m.dependencies ?? {}).some(s => s.startsWith('npm:')))
      ? undefined
      : 'an alias',
    manifestsInClosure.some(m => m.optionalDependencies) ? undefined : 'an optional dependency',
    manifestsInClosure.some(m => m.peerDependencies) ? undefined : 'a peer dependency',
    inClosure(cycleStart) ? undefined : 'a cycle',
    decoys.some(inClosure) ? 'no optional peer or dev dependency' : undefined,
  ].filter(Boolean);
  if (missing.length) {
    throw new Error(`generated npm package set lacks ${missing.join(', ')}; pick another seed`);
  }
}
