/**
 * Where a chart's files sit in a Helm repository that Backpack writes (the
 * view and the bundle): `charts/<chart>/<version>/<file>`, next to the
 * repositories' `<alias>/index.yaml`. A chart is one artifact, so its files
 * have one place whatever repository lists it.
 */

/** The archive's file name, as `helm package` names it. */
export function chartArchiveName(chart: string, version: string): string {
  return `${chart}-${version}.tgz`;
}

/** The path of a chart's file under the repository root. */
export function chartFilePath(chart: string, version: string, file: string): string {
  return `charts/${chart}/${version}/${file}`;
}
