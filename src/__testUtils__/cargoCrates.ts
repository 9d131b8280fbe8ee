import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { TAR_END, tarHeader, tarPadding } from '../exports/tar';
import { indexFilePath } from '../processors/cargo/cargoIndex';
import { StaticRegistryServer } from './staticRegistryServer';

// Real `.crate` files and a static sparse registry serving them, the way
// crates.io lays them out: `config.json`, index files of JSON lines, and
// downloads at `<dl>/<crate>/<version>/download`.

/** A dependency of a test crate, as Cargo.toml and the index line declare it. */
export interface TestCrateDependency {
  /** The name the crate uses (the rename, when `package` is set). */
  name: string;
  req: string;
  kind?: 'normal' | 'build' | 'dev';
  optional?: boolean;
  features?: string[];
  defaultFeatures?: boolean;
  target?: string;
  /** The crate's real name, for a renamed dependency. */
  package?: string;
}

/** A crate to build. */
export interface TestCrate {
  name: string;
  version: string;
  dependencies?: TestCrateDependency[];
  /** Features with plain entries, as `features` of the index line. */
  features?: Record<string, string[]>;
  /** Features using `dep:` or `?/`, which crates.io writes to `features2` (with `v: 2`). */
  features2?: Record<string, string[]>;
  yanked?: boolean;
  /** src/lib.rs. */
  lib?: string;
  /** build.rs, when the crate has a build script. */
  build?: string;
}

/** A built crate: its `.crate` bytes and its index line. */
export interface BuiltCrate extends TestCrate {
  body: Buffer;
  cksum: string;
  line: string;
}

const toml = (value: string) => JSON.stringify(value);

function dependencyToml(dep: TestCrateDependency): string {
  const parts = [`version = ${toml(dep.req)}`];
  if (dep.package) parts.push(`package = ${toml(dep.package)}`);
  if (dep.optional) parts.push('optional = true');
  if (dep.features?.length) parts.push(`features = [${dep.features.map(toml).join(', ')}]`);
  if (dep.defaultFeatures === false) parts.push('default-features = false');
  return `${toml(dep.name)} = { ${parts.join(', ')} }`;
}

/** The Cargo.toml of a crate, as `cargo package` would leave it (normalised enough for Cargo). */
export function cargoToml(crate: TestCrate): string {
  const lines = [
    '[package]',
    `name = ${toml(crate.name)}`,
    `version = ${toml(crate.version)}`,
    'edition = "2021"',
    ...(crate.build ? ['build = "build.rs"'] : []),
    '',
  ];
  const features = { ...crate.features, ...crate.features2 };
  if (Object.keys(features).length) {
    lines.push('[features]');
    for (const [name, items] of Object.entries(features)) {
      lines.push(`${toml(name)} = [${items.map(toml).join(', ')}]`);
    }
    lines.push('');
  }
  const sections = new Map<string, string[]>();
  for (const dep of crate.dependencies ?? []) {
    const table = { normal: 'dependencies', build: 'build-dependencies', dev: 'dev-dependencies' }[dep.kind ?? 'normal'];
    const header = dep.target ? `[target.${toml(dep.target)}.${table}]` : `[${table}]`;
    sections.set(header, [...(sections.get(header) ?? []), dependencyToml(dep)]);
  }
  for (const [header, deps] of sections) lines.push(header, ...deps, '');
  return lines.join('\n');
}

function tarEntry(path: string, content: string): Buffer {
  const body = Buffer.from(content);
  return Buffer.concat([tarHeader(path, body.length, 1_700_000_000), body, tarPadding(body.length)]);
}

/** Builds the `.crate` (a gzipped tar of `<name>-<version>/`) and the index line of a crate. */
export function buildCrate(crate: TestCrate): BuiltCrate {
  const root = `${crate.name}-${crate.version}`;
  const entries = [
    tarEntry(`${root}/Cargo.toml`, cargoToml(crate)),
    tarEntry(`${root}/src/lib.rs`, crate.lib ?? 'pub fn version() -> &\'static str { env!("CARGO_PKG_VERSION") }\n'),
    ...(crate.build ? [tarEntry(`${root}/build.rs`, crate.build)] : []),
  ];
  const body = gzipSync(Buffer.concat([...entries, TAR_END]));
  const cksum = createHash('sha256').update(body).digest('hex');
  // Field order and spelling as crates.io writes its lines.
  const record = {
    name: crate.name,
    vers: crate.version,
    deps: (crate.dependencies ?? []).map(dep => ({
      name: dep.name,
      req: dep.req,
      features: dep.features ?? [],
      optional: dep.optional ?? false,
      default_features: dep.defaultFeatures ?? true,
      target: dep.target ?? null,
      kind: dep.kind ?? 'normal',
      ...(dep.package ? { package: dep.package } : {}),
    })),
    cksum,
    features: crate.features ?? {},
    ...(crate.features2 ? { features2: crate.features2 } : {}),
    yanked: crate.yanked ?? false,
    links: null,
    ...(crate.features2 ? { v: 2 } : {}),
  };
  return { ...crate, body, cksum, line: JSON.stringify(record) };
}

/**
 * Serves crates as a sparse registry: `config.json` with a crates.io-like
 * `dl` (no markers, so Cargo appends `/{crate}/{version}/download`), one
 * index file per crate with its lines in the order given.
 */
export function publishSparseRegistry(server: StaticRegistryServer, crates: BuiltCrate[]): void {
  server.set('/config.json', { body: JSON.stringify({ dl: `${server.url}/api/v1/crates` }), contentType: 'application/json' });
  const byName = new Map<string, BuiltCrate[]>();
  for (const crate of crates) {
    byName.set(crate.name, [...(byName.get(crate.name) ?? []), crate]);
    server.set(`/api/v1/crates/${crate.name}/${crate.version}/download`, crate.body);
  }
  for (const [name, versions] of byName) {
    server.set(`/${indexFilePath(name)}`, {
      body: versions.map(v => `${v.line}\n`).join(''),
      contentType: 'text/plain',
    });
  }
}
