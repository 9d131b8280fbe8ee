import { cargoVersionScheme } from '../../processors/cargo/cargoVersionScheme';

/** A mirrored version as an index file needs it. */
export interface CargoIndexVersion {
  version: string;
  /** The upstream's index line, verbatim. */
  metadata?: string;
  files: Array<{ name: string }>;
}

/** Whether a version has its `.crate` and its index line, so Cargo can use it. */
function usable(version: CargoIndexVersion): version is CargoIndexVersion & { metadata: string } {
  return version.metadata !== undefined && version.files.some(file => file.name.endsWith('.crate'));
}

/**
 * The sparse index file of a crate over its mirrored versions: the
 * upstream's lines, byte for byte (Cargo checks downloads against their
 * `cksum`), oldest version first as registries append them; undefined
 * when no version can be served.
 */
export function cargoIndexFile(versions: readonly CargoIndexVersion[]): string | undefined {
  const lines = versions
    .filter(usable)
    .sort((a, b) => cargoVersionScheme.compare(a.version, b.version))
    .map(version => `${version.metadata}\n`);
  return lines.length ? lines.join('') : undefined;
}

/** The template of `dl` in `config.json` below a base URL: the route every view and bundle serves. */
export function cargoDownloadTemplate(base: string): string {
  return `${base}crates/{crate}/{version}/download`;
}
