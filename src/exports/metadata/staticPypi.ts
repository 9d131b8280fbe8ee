import { CollectedArtifact } from '../../database/ExportStore';
import { pep440VersionScheme } from '../../processors/pypi/Pep440VersionScheme';
import { pypiSimpleProjectHtml } from '../../views/metadata/pypiSimple';

/**
 * Where a bundle puts PyPI content, below `pypi/`:
 *
 * - `pypi/packages/<project>/<version>/<file>` — the distributions, named
 *   with project and version because two projects may list files of the
 *   same name;
 * - `pypi/simple/<project>/index.html` — the PEP 503 project page, linking
 *   the files relatively (`../../packages/<project>/<version>/<file>#sha256=...`),
 *   so the index works under any URL prefix;
 * - `pypi/simple/index.html` — the list of every project collected so far.
 *
 * A static server answers pip's `GET <index>/<project>/` with the page's
 * `index.html`: `pip download --index-url http://host/pypi/simple/ ...`.
 */
export const PYPI_ROOT = 'pypi';

const escapeHtml = (text: string) =>
  text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

/** Bundle path of a project's simple page. */
export function pypiProjectPagePath(project: string): string {
  return `${PYPI_ROOT}/simple/${project}/index.html`;
}

/** Bundle path of a distribution file of one version of a project. */
export function pypiFilePath(project: string, version: string, file: string): string {
  return `${PYPI_ROOT}/packages/${project}/${version}/${file}`;
}

/** Bundle path of the simple index's root page. */
export const PYPI_ROOT_PAGE_PATH = `${PYPI_ROOT}/simple/index.html`;

/** The PEP 503 page of a project over its collected files. */
export function bundlePypiProjectPage(artifact: CollectedArtifact): string {
  const versions = [...artifact.versions].sort((a, b) =>
    pep440VersionScheme.compare(a.version, b.version),
  );
  return pypiSimpleProjectHtml({
    name: artifact.id,
    versions: versions.map(v => v.version),
    files: versions.flatMap(version =>
      [...version.files]
        .sort((a, b) => a.name.localeCompare(b.name))
        .map(file => ({
          filename: file.name,
          // Relative to `pypi/simple/<project>/`.
          url: `../../${pypiFilePath(artifact.id, version.version, file.name)
            .split('/')
            .slice(1)
            .map(encodeURIComponent)
            .join('/')}`,
          ...(file.sha256 ? { sha256: file.sha256 } : {}),
          ...(file.size !== undefined ? { size: file.size } : {}),
        })),
    ),
  });
}

/**
 * The root page of the simple index in pieces, so that it is streamed
 * project by project rather than held in memory (see `pypiSimpleIndexHtml`
 * for the view's form of the same page).
 */
export const bundlePypiRootPage = {
  head: [
    '<!DOCTYPE html>',
    '<html>',
    '  <head>',
    '    <meta name="pypi:repository-version" content="1.0">',
    '    <title>Simple index</title>',
    '  </head>',
    '  <body>',
    '',
  ].join('\n'),
  project: (project: string) =>
    `    <a href="${escapeHtml(encodeURIComponent(project))}/">${escapeHtml(project)}</a><br/>\n`,
  tail: '  </body>\n</html>\n',
};
