import { NotFoundError } from '@backstage/errors';
import { BackpackStores } from '../database/createBackpackStores';
import { isValidPypiName, normalizePypiName } from '../processors/pypi/normalizeName';
import { BlobStore } from '../storage/BlobStore';
import { pathSegmentProblem } from '../storage/fileRefusal';
import {
  PYPI_SIMPLE_HTML,
  PYPI_SIMPLE_JSON,
  pypiSimpleIndexHtml,
  pypiSimpleIndexJson,
  pypiSimpleProjectHtml,
  pypiSimpleProjectJson,
  pypiSimpleProjectOf,
} from './metadata/pypiSimple';
import { ServeAccess } from './ServeAccess';
import { ServedDocument, ServedFile, servedBlob } from './ServedContent';

const PROCESSOR = 'pypi';

/** The forms of the simple API a client can ask for (PEP 691). */
export type PypiSimpleFormat = 'json' | 'html' | 'legacy-html';

const CONTENT_TYPES: Record<PypiSimpleFormat, string> = {
  json: PYPI_SIMPLE_JSON,
  html: PYPI_SIMPLE_HTML,
  'legacy-html': 'text/html; charset=utf-8',
};

/** Options of {@link PypiView}. */
export interface PypiViewOptions {
  stores: Pick<BackpackStores, 'mirror'>;
  blobStore: BlobStore;
}

/**
 * The PyPI simple repository view over the mirror (PEP 503 HTML and PEP 691
 * JSON): the mirrored projects, their collected files with sha256
 * fragments, and the files themselves from the blob store.
 *
 * File links are relative (`../../packages/<project>/<version>/<file>`
 * from a project page), so the pages work behind any proxy or mount point;
 * they name the project and version because two projects may list files
 * of the same name.
 */
export class PypiView {
  constructor(private readonly options: PypiViewOptions) {}

  /** The PEP 503 form of a project name; NotFoundError when it is none. */
  canonicalName(name: string): string {
    if (!isValidPypiName(name)) throw new NotFoundError(`'${name}' is not a project name`);
    return normalizePypiName(name);
  }

  /** The list of mirrored projects the caller may read. */
  async index(format: PypiSimpleFormat, access: ServeAccess): Promise<ServedDocument> {
    const projects = (await this.options.stores.mirror.listMirroredArtifacts(PROCESSOR))
      .filter(artifact => access.canRead(artifact))
      .map(artifact => artifact.id);
    return simpleDocument(format, projects, pypiSimpleIndexJson, pypiSimpleIndexHtml);
  }

  /** A project page; NotFoundError when nothing of the project is collected. */
  async project(
    name: string,
    format: PypiSimpleFormat,
    access: ServeAccess,
  ): Promise<ServedDocument> {
    const store = this.options.stores.mirror;
    const id = this.canonicalName(name);
    const artifact = await store.getArtifact(PROCESSOR, id);
    if (!artifact || !access.canRead(artifact)) {
      throw new NotFoundError(`Python project '${id}' is not mirrored`);
    }
    const versions = await store.listMirroredVersions(artifact.ref);
    if (versions.length === 0) {
      throw new NotFoundError(`Python project '${id}' has no collected file`);
    }
    const project = pypiSimpleProjectOf(id, versions, (version, file) =>
      `../../packages/${[id, version, file].map(encodeURIComponent).join('/')}`,
    );
    return simpleDocument(format, project, pypiSimpleProjectJson, pypiSimpleProjectHtml);
  }

  /**
   * The collected distribution file `filename` of one version of a project
   * (by its PEP 503 name); NotFoundError for anything not collected.
   */
  async file(
    project: string,
    version: string,
    filename: string,
    access: ServeAccess,
  ): Promise<ServedFile> {
    // Names no stored file can have end here, before the database.
    if ([version, filename].some(pathSegmentProblem)) {
      throw new NotFoundError(`${project} ${version} ${filename} is not mirrored`);
    }
    const found = await this.options.stores.mirror.findCollectedFileOf({
      processor: PROCESSOR,
      id: this.canonicalName(project),
      version,
      name: filename,
    });
    if (!found || !access.canRead(found.artifact)) {
      throw new NotFoundError(`${project} ${version} ${filename} is not mirrored`);
    }
    return servedBlob(this.options.blobStore, found.file, 'application/octet-stream');
  }
}

/** A Simple API page in the format the client asked for (PEP 691 JSON or PEP 503 HTML). */
function simpleDocument<T>(
  format: PypiSimpleFormat,
  page: T,
  json: (page: T) => unknown,
  html: (page: T) => string,
): ServedDocument {
  return {
    contentType: CONTENT_TYPES[format],
    body: format === 'json' ? JSON.stringify(json(page)) : html(page),
  };
}
