import { escapeHtml } from '../../lib/escapeHtml';
import { pep440VersionScheme } from '../../processors/pypi/Pep440VersionScheme';

/** Media type of the PEP 691 JSON form of the simple API. */
export const PYPI_SIMPLE_JSON = 'application/vnd.pypi.simple.v1+json';
/** Media type of the PEP 691 HTML form (PEP 503 HTML, versioned). */
export const PYPI_SIMPLE_HTML = 'application/vnd.pypi.simple.v1+html';

/** API version served: 1.1 adds `versions`, `size` and `upload-time` (PEP 700). */
const API_VERSION = '1.1';

/** A distribution file of a project page. */
export interface PypiSimpleFile {
  filename: string;
  /** Where the client downloads it; may be relative to the project page. */
  url: string;
  /** Lower-case hex sha256 of the file's bytes. */
  sha256?: string;
  /** The Requires-Python specifier, when known. */
  requiresPython?: string;
  /** True, or the reason, when the file is yanked (PEP 592). */
  yanked?: boolean | string;
  size?: number;
  /** ISO 8601 upload time. */
  uploadTime?: string;
}

/** A project page's content. */
export interface PypiSimpleProject {
  /** The PEP 503 normalised name. */
  name: string;
  versions: string[];
  files: PypiSimpleFile[];
}

/** The PEP 691 JSON form of the project list. */
export interface PypiSimpleIndexJson {
  meta: { 'api-version': string };
  projects: Array<{ name: string }>;
}

/** The PEP 691 JSON form of a project page. */
export interface PypiSimpleProjectJson {
  meta: { 'api-version': string };
  name: string;
  versions: string[];
  files: Array<{
    filename: string;
    url: string;
    hashes: Record<string, string>;
    'requires-python'?: string;
    yanked?: boolean | string;
    size?: number;
    'upload-time'?: string;
  }>;
}

function page(title: string, body: string[]): string {
  return [
    '<!DOCTYPE html>',
    '<html>',
    '  <head>',
    `    <meta name="pypi:repository-version" content="${API_VERSION}">`,
    `    <title>${escapeHtml(title)}</title>`,
    '  </head>',
    '  <body>',
    ...body.map(line => `    ${line}`),
    '  </body>',
    '</html>',
    '',
  ].join('\n');
}

/**
 * The PEP 503 project list. Links are relative (`<name>/`), so the page
 * works wherever the index is mounted.
 */
export function pypiSimpleIndexHtml(projects: string[]): string {
  return page(
    'Simple index',
    projects.map(pypiSimpleProjectLink),
  );
}

/** The link of one project on the project list, relative to the list. */
export function pypiSimpleProjectLink(name: string): string {
  return `<a href="${escapeHtml(encodeURIComponent(name))}/">${escapeHtml(name)}</a><br/>`;
}

/** The PEP 691 JSON project list. */
export function pypiSimpleIndexJson(projects: string[]): PypiSimpleIndexJson {
  return {
    meta: { 'api-version': API_VERSION },
    projects: projects.map(name => ({ name })),
  };
}

/**
 * A PEP 503 project page: one link per file with a `#sha256=` fragment,
 * `data-requires-python` (PEP 503) and `data-yanked` (PEP 592) when known.
 */
export function pypiSimpleProjectHtml(project: PypiSimpleProject): string {
  const links = project.files.map(file => {
    const href = file.sha256 ? `${file.url}#sha256=${file.sha256}` : file.url;
    const attributes = [`href="${escapeHtml(href)}"`];
    if (file.requiresPython) {
      attributes.push(`data-requires-python="${escapeHtml(file.requiresPython)}"`);
    }
    if (file.yanked) {
      attributes.push(
        typeof file.yanked === 'string' && file.yanked
          ? `data-yanked="${escapeHtml(file.yanked)}"`
          : 'data-yanked=""',
      );
    }
    return `<a ${attributes.join(' ')}>${escapeHtml(file.filename)}</a><br/>`;
  });
  return page(`Links for ${project.name}`, [
    `<h1>Links for ${escapeHtml(project.name)}</h1>`,
    ...links,
  ]);
}

/** A collected file as a project page lists it. */
interface CollectedDistribution {
  name: string;
  sha256?: string;
  size?: number;
}

/**
 * A project page's content over the collected versions of a project:
 * versions in PEP 440 order, each version's files by name, each linked by
 * `fileUrl` (relative to the project page).
 */
export function pypiSimpleProjectOf(
  name: string,
  collected: Array<{ version: string; files: CollectedDistribution[] }>,
  fileUrl: (version: string, file: string) => string,
): PypiSimpleProject {
  const versions = [...collected].sort((a, b) =>
    pep440VersionScheme.compare(a.version, b.version),
  );
  return {
    name,
    versions: versions.map(v => v.version),
    files: versions.flatMap(version =>
      [...version.files]
        .sort((a, b) => a.name.localeCompare(b.name))
        .map(file => ({
          filename: file.name,
          url: fileUrl(version.version, file.name),
          ...(file.sha256 ? { sha256: file.sha256 } : {}),
          ...(file.size !== undefined ? { size: file.size } : {}),
        })),
    ),
  };
}

/** A PEP 691 JSON project page (API version 1.1). */
export function pypiSimpleProjectJson(project: PypiSimpleProject): PypiSimpleProjectJson {
  return {
    meta: { 'api-version': API_VERSION },
    name: project.name,
    versions: project.versions,
    files: project.files.map(file => ({
      filename: file.filename,
      url: file.url,
      hashes: (file.sha256 ? { sha256: file.sha256 } : {}) as Record<string, string>,
      ...(file.requiresPython ? { 'requires-python': file.requiresPython } : {}),
      ...(file.yanked ? { yanked: file.yanked } : {}),
      ...(file.size !== undefined ? { size: file.size } : {}),
      ...(file.uploadTime ? { 'upload-time': file.uploadTime } : {}),
    })),
  };
}
