import { CollectedArtifact, CollectedFile } from '../../database/ExportStore';
import { indexFilePath, isCrateName } from '../../processors/cargo/cargoIndex';
import { cargoDownloadTemplate, cargoIndexFile } from '../../views/metadata/cargoIndexFile';

/**
 * Where a bundle puts Cargo content, below `cargo/`, a static sparse
 * registry:
 *
 * - `cargo/config.json` — with a relative `dl`,
 *   `crates/{crate}/{version}/download`. Cargo needs an absolute one, so
 *   the receiving side writes the URL it serves `cargo/` at in front
 *   (see the README); Backpack itself reads a relative `dl` relative to
 *   the index.
 * - `cargo/1/<name>`, `cargo/3/<c>/<name>`, `cargo/<ab>/<cd>/<name>` — the
 *   index files, the upstream's lines of the collected versions.
 * - `cargo/crates/<Name>/<version>/download` — the `.crate` files, named
 *   as their index lines spell the crate.
 */
export const CARGO_ROOT = 'cargo';

/** Bundle path of `config.json`. */
export const CARGO_CONFIG_PATH = `${CARGO_ROOT}/config.json`;

/** The content of the bundle's `config.json`. */
export function bundleCargoConfig(): string {
  return `${JSON.stringify({ dl: cargoDownloadTemplate('') }, null, 2)}\n`;
}

/** Bundle path of a collected file of a crate. */
export function cargoFilePath(file: Pick<CollectedFile, 'artifactId' | 'version' | 'name'>): string {
  const suffix = `-${file.version}.crate`;
  const name = file.name.endsWith(suffix) ? file.name.slice(0, -suffix.length) : '';
  if (isCrateName(name) && name.toLowerCase() === file.artifactId) {
    return `${CARGO_ROOT}/crates/${name}/${file.version}/download`;
  }
  // Not a `.crate` as Cargo names them: kept, where Cargo never looks.
  return `${CARGO_ROOT}/files/${file.artifactId}/${file.version}/${file.name}`;
}

/** The index file of a crate in a bundle, or undefined when no version has its line. */
export function bundleCargoIndexFile(
  artifact: CollectedArtifact,
): { path: string; content: Buffer } | undefined {
  const body = cargoIndexFile(artifact.versions);
  if (body === undefined) return undefined;
  return { path: `${CARGO_ROOT}/${indexFilePath(artifact.id)}`, content: Buffer.from(body) };
}
