import { CollectedArtifact } from '../../database/ExportStore';
import {
  pypiSimpleProjectHtml,
  pypiSimpleProjectLink,
  pypiSimpleProjectOf,
} from '../../views/metadata/pypiSimple';

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
  return pypiSimpleProjectHtml(
    pypiSimpleProjectOf(artifact.id, artifact.versions, (version, file) =>
      // Relative to `pypi/simple/<project>/`.
      `../../${pypiFilePath(artifact.id, version, file)
        .split('/')
        .slice(1)
        .map(encodeURIComponent)
        .join('/')}`,
    ),
  );
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
  project: (project: string) => `    ${pypiSimpleProjectLink(project)}\n`,
  tail: '  </body>\n</html>\n',
};
