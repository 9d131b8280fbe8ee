import { DEFAULT_PARSING_LIMITS, ParsingLimits } from '../../upstream/limits';
import { PomCoordinates, PomDependency, RawPom } from './pom';

/** A dependency after interpolation, with management applied. */
export interface EffectiveDependency extends PomDependency {
  type: string;
  scope: string;
}

/** What Backpack needs of a POM's effective model. */
export interface EffectivePom {
  coordinates: PomCoordinates;
  packaging: string;
  parent?: PomCoordinates;
  properties: Record<string, string>;
  /** Declared and inherited dependencies, interpolated, versions and scopes managed. */
  dependencies: EffectiveDependency[];
  /** Managed dependencies, own and inherited first, then from imported BOMs. */
  managed: Map<string, PomDependency>;
  /** BOMs imported through `<scope>import</scope><type>pom</type>`, own and inherited. */
  imports: PomCoordinates[];
  relocation?: PomCoordinates;
}

/** Loads a POM by coordinates; undefined when the repository has none. */
export type PomLoader = (coordinates: PomCoordinates) => Promise<RawPom | undefined>;

/** Longest parent chain followed; real ones are a handful deep. */
const MAX_DEPTH = 32;
/** Rounds of `${…}` expansion, for properties defined through other properties. */
const MAX_EXPANSIONS = 16;

/** Limits of `${…}` interpolation (`backpack.limits.maven`). */
export type InterpolationLimits = ParsingLimits['maven'];

/**
 * Interpolation went past a limit: properties that refer to themselves or
 * double at every step (`<a>${b}${b}</a><b>${c}${c}</b>…`) would otherwise
 * grow exponentially and exhaust memory.
 */
export class InterpolationLimitError extends Error {
  name = 'InterpolationLimitError';
}

export const coordinatesKey = (c: PomCoordinates) => `${c.groupId}:${c.artifactId}:${c.version}`;

/** Dependency management matches on groupId, artifactId, type and classifier. */
export const managementKey = (d: PomDependency) =>
  `${d.groupId}:${d.artifactId}:${d.type ?? 'jar'}:${d.classifier ?? ''}`;

/**
 * Builds effective POMs the way Maven's model builder does, for the parts
 * Backpack reads: inherit properties, dependencies and dependency
 * management from the parent chain (child wins), then interpolate `${…}`
 * in the child's context (so `${project.version}` in a parent means the
 * child's version), then import BOMs, whose management applies where the
 * POM's own does not, then fill missing versions and scopes from the
 * management. Parents and BOMs are loaded once per builder, which is
 * meant to live for one discovery.
 */
export class EffectivePomBuilder {
  private readonly raw = new Map<string, Promise<RawPom | undefined>>();
  private readonly effective = new Map<string, Promise<EffectivePom | undefined>>();

  constructor(
    private readonly load: PomLoader,
    private readonly warn: (message: string) => void,
    private readonly limits: InterpolationLimits = DEFAULT_PARSING_LIMITS.maven,
  ) {}

  /** The effective model of a POM already in hand (a version being discovered). */
  build(pom: RawPom): Promise<EffectivePom> {
    return this.assemble(pom, []);
  }

  /**
   * The effective model of a POM by coordinates, memoised; undefined when
   * missing. `importing` is the chain of BOMs being imported, to stop
   * cycles; it is part of the memo key, so a model only ever waits for
   * models with longer chains and concurrent discoveries cannot deadlock.
   */
  resolve(coordinates: PomCoordinates, importing: string[] = []): Promise<EffectivePom | undefined> {
    const chain = [...importing, coordinatesKey(coordinates)];
    const memoKey = chain.join(' ');
    let result = this.effective.get(memoKey);
    if (!result) {
      result = this.loadRaw(coordinates).then(pom => (pom ? this.assemble(pom, chain) : undefined));
      this.effective.set(memoKey, result);
    }
    return result;
  }

  private loadRaw(coordinates: PomCoordinates): Promise<RawPom | undefined> {
    const key = coordinatesKey(coordinates);
    let result = this.raw.get(key);
    if (!result) {
      result = this.load(coordinates);
      this.raw.set(key, result);
    }
    return result;
  }

  /** The POM followed by its parents, nearest first. */
  private async lineage(pom: RawPom): Promise<RawPom[]> {
    const chain = [pom];
    const seen = new Set<string>();
    for (let current = pom; current.parent; ) {
      const key = coordinatesKey(current.parent);
      if (seen.has(key) || chain.length > MAX_DEPTH) {
        this.warn(`parent chain of ${pom.artifactId} loops or is too deep at ${key}`);
        break;
      }
      seen.add(key);
      const parent = await this.loadRaw(current.parent);
      if (!parent) {
        this.warn(`parent POM ${key} of ${pom.artifactId} not found`);
        break;
      }
      chain.push(parent);
      current = parent;
    }
    return chain;
  }

  private async assemble(pom: RawPom, importing: string[]): Promise<EffectivePom> {
    const chain = await this.lineage(pom);

    // Inheritance: ancestors first, so nearer POMs override.
    const properties: Record<string, string> = {};
    const rawManaged = new Map<string, PomDependency>();
    const rawDependencies = new Map<string, PomDependency>();
    for (const member of [...chain].reverse()) {
      Object.assign(properties, member.properties);
      member.dependencyManagement.forEach(d => rawManaged.set(managementKey(d), d));
      member.dependencies.forEach(d => rawDependencies.set(managementKey(d), d));
    }

    const groupId = pom.groupId ?? pom.parent?.groupId ?? '';
    const version = pom.version ?? pom.parent?.version ?? '';
    const packaging = pom.packaging ?? 'jar';
    const model: Record<string, string | undefined> = {
      groupId,
      artifactId: pom.artifactId,
      version,
      packaging,
      'parent.groupId': pom.parent?.groupId,
      'parent.artifactId': pom.parent?.artifactId,
      'parent.version': pom.parent?.version,
    };
    const lookup = (name: string): string | undefined => {
      for (const prefix of ['project.', 'pom.']) {
        if (name.startsWith(prefix)) {
          const value = model[name.slice(prefix.length)];
          if (value !== undefined) return value;
        }
      }
      // Bare `${version}` and friends are deprecated but still resolved.
      return properties[name] ?? model[name];
    };
    // Bounds the length of each value and the work of the whole model, so
    // that growth stops at the limit instead of at the end of the heap.
    const { maxInterpolatedLength, maxInterpolationWork } = this.limits;
    const spent = { work: 0 };
    const tooMuch = (limit: string, value: number) =>
      new InterpolationLimitError(
        `POM of ${groupId}:${pom.artifactId}:${version}: property interpolation exceeds backpack.limits.maven.${limit} (${value} characters); properties refer to themselves or grow with every expansion`,
      );
    const interpolate = (value: string): string => {
      let result = value;
      // A long value as written is the document's size, already bounded.
      const maxLength = Math.max(maxInterpolatedLength, value.length);
      for (let round = 0; round < MAX_EXPANSIONS && result.includes('${'); round++) {
        let length = result.length;
        const next = result.replace(/\$\{([^${}]+)\}/g, (match, name: string) => {
          const replacement = lookup(name) ?? match;
          length += replacement.length - match.length;
          spent.work += replacement.length;
          if (length > maxLength) {
            throw tooMuch('maxInterpolatedLength', maxInterpolatedLength);
          }
          if (spent.work > maxInterpolationWork) {
            throw tooMuch('maxInterpolationWork', maxInterpolationWork);
          }
          return replacement;
        });
        if (next === result) break;
        result = next;
      }
      return result;
    };
    const interpolateDependency = (d: PomDependency): PomDependency => {
      const result: PomDependency = { groupId: interpolate(d.groupId), artifactId: interpolate(d.artifactId) };
      for (const key of ['version', 'type', 'classifier', 'scope', 'optional'] as const) {
        if (d[key] !== undefined) result[key] = interpolate(d[key]!);
      }
      return result;
    };

    const managed = new Map<string, PomDependency>();
    const imports: PomCoordinates[] = [];
    for (const raw of rawManaged.values()) {
      const d = interpolateDependency(raw);
      if (d.scope === 'import' && d.type === 'pom') {
        if (d.version) imports.push({ groupId: d.groupId, artifactId: d.artifactId, version: d.version });
      } else if (!managed.has(managementKey(d))) {
        managed.set(managementKey(d), d);
      }
    }
    for (const bom of imports) {
      const key = coordinatesKey(bom);
      if (importing.includes(key)) {
        this.warn(`BOM ${key} imports itself through ${importing.join(' → ')}`);
        continue;
      }
      const imported = await this.resolve(bom, importing);
      if (!imported) {
        this.warn(`imported BOM ${key} not found`);
        continue;
      }
      for (const [managedKey, d] of imported.managed) {
        if (!managed.has(managedKey)) managed.set(managedKey, d);
      }
    }

    const dependencies = [...rawDependencies.values()].map(raw => {
      const d = interpolateDependency(raw);
      const management = managed.get(managementKey(d));
      // The optional flag is not managed, version and scope are.
      return {
        ...d,
        type: d.type ?? 'jar',
        version: d.version ?? management?.version,
        scope: d.scope ?? management?.scope ?? 'compile',
      };
    });

    const interpolatedProperties = Object.fromEntries(
      Object.entries(properties).map(([key, value]) => [key, interpolate(value)]),
    );
    const relocation = pom.relocation
      ? {
          groupId: interpolate(pom.relocation.groupId ?? groupId),
          artifactId: interpolate(pom.relocation.artifactId ?? pom.artifactId),
          version: interpolate(pom.relocation.version ?? version),
        }
      : undefined;

    return {
      coordinates: { groupId: interpolate(groupId), artifactId: pom.artifactId, version: interpolate(version) },
      packaging: interpolate(packaging),
      parent: pom.parent,
      properties: interpolatedProperties,
      dependencies,
      managed,
      imports,
      relocation,
    };
  }
}
