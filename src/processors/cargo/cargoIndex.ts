/**
 * The sparse registry's layout and documents: where a crate's index file
 * is, what one line of it holds, and where its `.crate` is downloaded from
 * (the `dl` template of `config.json`).
 */
import { InputError } from '@backstage/errors';

/**
 * A crate name as registries accept them: ASCII letters, digits, `-` and
 * `_`, starting with a letter, at most 64 characters (crates.io's limit).
 */
const CRATE_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

/** Whether the string can name a crate. */
export function isCrateName(name: string): boolean {
  return CRATE_NAME.test(name);
}

/**
 * The canonical id of a crate: lower-cased, as index paths are, since
 * registries treat names case-insensitively. An InputError naming `id`
 * otherwise.
 */
export function normalizeCrateName(id: string): string {
  if (!isCrateName(id)) {
    throw new InputError(`id: '${id}' is not a valid crate name`);
  }
  return id.toLowerCase();
}

/** The directory of a crate's index file in the registry, e.g. `se/rd` for `serde`. */
export function cratePrefix(name: string): string {
  if (name.length === 1) return '1';
  if (name.length === 2) return '2';
  if (name.length === 3) return `3/${name[0]}`;
  return `${name.slice(0, 2)}/${name.slice(2, 4)}`;
}

/** The path of a crate's index file below the index URL: `1/a`, `3/s/syn`, `se/rd/serde`. */
export function indexFilePath(name: string): string {
  const lower = name.toLowerCase();
  return `${cratePrefix(lower)}/${lower}`;
}

/** One dependency of an index line, as registries write it. */
export interface IndexDependency {
  name: string;
  req: string;
  features?: string[];
  optional?: boolean;
  default_features?: boolean;
  target?: string | null;
  kind?: 'normal' | 'build' | 'dev' | null;
  registry?: string | null;
  package?: string | null;
}

/** One line of an index file: one published version. */
export interface IndexRecord {
  name: string;
  vers: string;
  deps: IndexDependency[];
  cksum: string;
  features?: Record<string, string[]>;
  features2?: Record<string, string[]>;
  yanked?: boolean;
  links?: string | null;
  v?: number;
  rust_version?: string | null;
}

/** An index line with its bytes, which views serve unchanged. */
export interface IndexLine {
  record: IndexRecord;
  line: string;
}

const SHA256 = /^[0-9a-f]{64}$/;

/** What is wrong with a parsed line, or undefined. */
function recordProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not an object';
  const record = value as Record<string, unknown>;
  if (typeof record.name !== 'string' || !isCrateName(record.name)) return 'name: not a crate name';
  if (typeof record.vers !== 'string') return 'vers: not a string';
  if (typeof record.cksum !== 'string' || !SHA256.test(record.cksum)) {
    return 'cksum: not a sha256 hex digest';
  }
  if (!Array.isArray(record.deps)) return 'deps: not a list';
  for (const dep of record.deps as unknown[]) {
    const d = dep as Record<string, unknown>;
    if (typeof d !== 'object' || d === null) return 'deps: an entry is not an object';
    if (typeof d.name !== 'string' || typeof d.req !== 'string') {
      return 'deps: an entry lacks name or req';
    }
    if (d.features !== undefined && d.features !== null && !isStringList(d.features)) {
      return `deps: features of ${d.name} are not a list of strings`;
    }
  }
  for (const key of ['features', 'features2']) {
    const map = record[key];
    if (map === undefined || map === null) continue;
    if (typeof map !== 'object' || Array.isArray(map)) return `${key}: not an object`;
    if (!Object.values(map).every(isStringList)) return `${key}: a value is not a list of strings`;
  }
  return undefined;
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every(item => typeof item === 'string');
}

/**
 * The lines of an index file for crate `name`: one JSON record per line.
 * Lines that are not a record of this crate are reported and skipped, so
 * one bad line costs one version, not the crate.
 */
export function parseIndexFile(
  body: string,
  name: string,
  warn: (message: string) => void,
): IndexLine[] {
  const lines: IndexLine[] = [];
  body.split('\n').forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      warn(`index line ${i + 1} of ${name}: not JSON`);
      return;
    }
    const problem = recordProblem(parsed);
    if (problem) {
      warn(`index line ${i + 1} of ${name}: ${problem}`);
      return;
    }
    const record = parsed as IndexRecord;
    if (record.name.toLowerCase() !== name.toLowerCase()) {
      warn(`index line ${i + 1} of ${name}: names another crate, '${record.name}'`);
      return;
    }
    lines.push({ record, line });
  });
  return lines;
}

const DL_MARKERS = ['{crate}', '{version}', '{prefix}', '{lowerprefix}', '{sha256-checksum}'];

/**
 * The download URL of a `.crate` from the `dl` of `config.json`: the
 * markers replaced, or `/{crate}/{version}/download` appended when it has
 * none (Cargo's rule).
 */
export function crateDownloadUrl(dl: string, record: Pick<IndexRecord, 'name' | 'vers' | 'cksum'>): string {
  const template = DL_MARKERS.some(marker => dl.includes(marker))
    ? dl
    : `${dl.replace(/\/+$/, '')}/{crate}/{version}/download`;
  const values: Record<string, string> = {
    '{crate}': record.name,
    '{version}': record.vers,
    '{prefix}': cratePrefix(record.name),
    '{lowerprefix}': cratePrefix(record.name.toLowerCase()),
    '{sha256-checksum}': record.cksum,
  };
  return template.replace(
    /\{(crate|version|prefix|lowerprefix|sha256-checksum)\}/g,
    marker => encodeURI(values[marker]),
  );
}
