import { CollectedArtifact, CollectedFile } from '../../database/ExportStore';
import { splitWalkVersion } from '../../processors/go/goVersionScheme';
import { escapeModulePath } from '../../processors/go/modulePath';
import { goLatestVersion, goVersionInfo, goVersionList } from '../../views/metadata/goProxy';
import { GeneratedEntry, LayoutContext } from '../layouts/EcosystemLayout';

/**
 * Where a bundle puts Go modules: a GOPROXY directory under `go/`, which
 * the go command reads from `GOPROXY=file:///<root>/go` or from any static
 * web server (`GOPROXY=https://host/go`):
 *
 * - `go/<module>/@v/<version>.mod`, `.zip`, `.info` — module paths and
 *   versions in the proxy's case encoding (`!` before a lower-cased
 *   capital);
 * - `go/<module>/@v/list` and `go/<module>/@latest` — over every version
 *   whose go.mod and zip were collected up to the cut-off;
 * - a go.mod mirrored alone (a version the module graph reads but does
 *   not build, `v1.2.0~go.mod` in Backpack) is stored at
 *   `go/.go.mod-only/<module>/@v/<version>.mod`, and copied to its proxy
 *   path unless its full version is in the mirror too: one path, one file.
 */
export const GO_ROOT = 'go';

/** Largest go.mod copied (the go command's own bound). */
const MAX_GO_MOD_BYTES = 16 * 1024 * 1024;

const proxyPath = (module: string, version: string, extension: string) =>
  `${GO_ROOT}/${escapeModulePath(module)}/@v/${escapeModulePath(version)}.${extension}`;

/** Bundle path of a collected file. */
export function goFilePath(file: CollectedFile): string {
  const { version, modOnly } = splitWalkVersion(file.version);
  const extension = file.name.startsWith(`${version}.`) ? file.name.slice(version.length + 1) : file.name;
  const path = proxyPath(file.artifactId, version, extension);
  return modOnly ? `${GO_ROOT}/.go.mod-only/${path.slice(GO_ROOT.length + 1)}` : path;
}

/** `@v/list`, `@latest` and the go.mod files mirrored alone of one module. */
export async function bundleGoMetadata(
  artifact: CollectedArtifact,
  context: Pick<LayoutContext, 'readSmallFile'>,
): Promise<GeneratedEntry[]> {
  const module = artifact.id;
  const base = `${GO_ROOT}/${escapeModulePath(module)}`;
  const versions = artifact.versions.map(v => ({
    version: v.version,
    publishedAt: v.publishedAt,
    files: v.files.map(f => f.name),
  }));
  const entries: GeneratedEntry[] = [{ path: `${base}/@v/list`, content: Buffer.from(goVersionList(versions)) }];
  const read = async (file: CollectedFile) => {
    const bytes = await context.readSmallFile(file, MAX_GO_MOD_BYTES);
    if (!bytes) throw new Error(`${module}@${file.version}: ${file.name} is missing from the blob store`);
    return bytes;
  };

  const latest = goLatestVersion(versions);
  if (latest) {
    const info = artifact.versions
      .find(v => v.version === latest.version)!
      .files.find(f => f.name === `${latest.version}.info`);
    entries.push({
      path: `${base}/@latest`,
      content: info ? await read(info) : Buffer.from(goVersionInfo(latest.version, latest.publishedAt)),
    });
  }

  const withMod = new Set(
    artifact.versions.filter(v => v.files.some(f => f.name === `${v.version}.mod`)).map(v => v.version),
  );
  for (const v of artifact.versions) {
    const { version, modOnly } = splitWalkVersion(v.version);
    const mod = v.files.find(f => f.name === `${version}.mod`);
    if (!modOnly || !mod || withMod.has(version)) continue;
    entries.push({ path: proxyPath(module, version, 'mod'), content: await read(mod) });
  }
  return entries;
}
