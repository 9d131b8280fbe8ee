import { CollectedArtifact } from '../../database/ExportStore';

/**
 * Where a bundle puts PyPI content, below `pypi/`:
 *
 * - `pypi/packages/<file>` — the distributions, as collected;
 * - `pypi/simple/<project>/index.html` — the PEP 503 project page, linking
 *   the files relatively (`../../packages/<file>#sha256=...`), so the index
 *   works under any URL prefix;
 * - `pypi/simple/index.html` — the list of every project mirrored so far.
 *
 * A static server answers pip's `GET <index>/<project>/` with the page's
 * `index.html`: `pip install --index-url http://host/pypi/simple/ ...`.
 */
export const PYPI_ROOT = 'pypi';

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`);

/** Bundle path of a project's simple page. */
export function pypiProjectPagePath(project: string): string {
  return `${PYPI_ROOT}/simple/${project}/index.html`;
}

/** Bundle path of the simple index's root page. */
export const PYPI_ROOT_PAGE_PATH = `${PYPI_ROOT}/simple/index.html`;

/** The PEP 503 page of a project over its collected files. */
export function staticPypiProjectPage(artifact: CollectedArtifact): string {
  const project = escapeHtml(artifact.id);
  const links = artifact.versions
    .flatMap(v => v.files)
    .sort((a, b) => a.name.localeCompare(b.name, 'en'))
    .map(file => {
      // Relative to `pypi/simple/<project>/`; the file sits at its storage key.
      const target = file.storageKey
        .split('/')
        .slice(1)
        .map(encodeURIComponent)
        .join('/');
      const href = `../../${target}${file.sha256 ? `#sha256=${file.sha256}` : ''}`;
      return `    <a href="${escapeHtml(href)}">${escapeHtml(file.name)}</a><br/>\n`;
    });
  return (
    '<!DOCTYPE html>\n<html>\n  <head>\n' +
    '    <meta name="pypi:repository-version" content="1.0">\n' +
    `    <title>Links for ${project}</title>\n  </head>\n  <body>\n` +
    `    <h1>Links for ${project}</h1>\n${links.join('')}  </body>\n</html>\n`
  );
}

/** The root page of the simple index, in three pieces so it can be streamed page by page. */
export const staticPypiRootPage = {
  head:
    '<!DOCTYPE html>\n<html>\n  <head>\n' +
    '    <meta name="pypi:repository-version" content="1.0">\n' +
    '    <title>Simple index</title>\n  </head>\n  <body>\n',
  project: (project: string) =>
    `    <a href="${escapeHtml(encodeURIComponent(project))}/">${escapeHtml(project)}</a><br/>\n`,
  tail: '  </body>\n</html>\n',
};
