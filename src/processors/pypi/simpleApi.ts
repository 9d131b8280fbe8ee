import * as pep440 from '@renovatebot/pep440';
import { PypiJsonFile } from './distributionFiles';
import { readCoreMetadata } from './coreMetadata';
import { normalizePypiName } from './normalizeName';
import { isGateRefusal } from '../../upstream/errors';
import { redactUrl, upstreamUrl } from '../../upstream/urls';
import {
  getListing,
  parseJsonBody,
  ProjectListingReader,
  PypiRelease,
  resolveFileUrl,
} from './ProjectListing';
import { errorMessage } from '../../lib/errorMessage';

/** The media type of PEP 691's JSON form of the simple API. */
export const SIMPLE_JSON_V1 = 'application/vnd.pypi.simple.v1+json';

/** A file of a PEP 691 project page (with PEP 700's size and upload time). */
interface SimpleFile {
  filename?: string;
  url?: string;
  hashes?: Record<string, string>;
  yanked?: boolean | string;
  size?: number;
  'upload-time'?: string;
  'core-metadata'?: boolean | Record<string, string>;
  'dist-info-metadata'?: boolean | Record<string, string>;
}

interface SimpleProject {
  files?: SimpleFile[];
}

const SDIST_EXTENSIONS = ['.tar.gz', '.zip', '.tar.bz2', '.tar.xz', '.tgz'];

/**
 * The version a distribution's file name carries: the second field of a
 * wheel name, and for an sdist what follows the project name (which older
 * sdists spell with dashes, so the split is where the prefix normalises to
 * the project's name).
 */
export function versionFromFilename(filename: string, project: string): string | undefined {
  if (filename.endsWith('.whl')) return filename.split('-')[1];
  const extension = SDIST_EXTENSIONS.find(ext => filename.toLowerCase().endsWith(ext));
  if (!extension) return undefined;
  const stem = filename.slice(0, -extension.length);
  for (let dash = stem.indexOf('-'); dash > 0; dash = stem.indexOf('-', dash + 1)) {
    if (normalizePypiName(stem.slice(0, dash)) === project) return stem.slice(dash + 1) || undefined;
  }
  return undefined;
}

/** Core metadata files (PEP 658) come from wheels first: theirs is never dynamic. */
function metadataCandidates(release: PypiRelease): PypiJsonFile[] {
  const withMetadata = release.files.filter(file => file.coreMetadata);
  return [
    ...withMetadata.filter(file => file.filename.endsWith('.whl')),
    ...withMetadata.filter(file => !file.filename.endsWith('.whl')),
  ];
}

/**
 * Reads a project from the simple API in its JSON form (PEP 691):
 * `/simple/<name>/` lists every file, and each release's `Requires-Dist`
 * comes from the core metadata file served next to a distribution
 * (`<file url>.metadata`, PEP 658). For indexes without the JSON API, such
 * as many private ones.
 */
export const readSimpleApiProject: ProjectListingReader = async request => {
  const { upstream, index, id, signal } = request;
  const response = await getListing(request, `${upstreamUrl(index, ['simple', id])}/`, SIMPLE_JSON_V1);
  if (!response) return undefined;
  if (response.notModified) return { notModified: true };
  const contentType = response.headers.get('content-type') ?? '';
  if (!contentType.includes('json')) {
    throw new Error(
      `${redactUrl(response.url)} answered '${contentType.slice(0, 100)}', not PEP 691 JSON (${SIMPLE_JSON_V1})`,
    );
  }
  const project = parseJsonBody<SimpleProject>(response);

  const releases = new Map<string, PypiJsonFile[]>();
  for (const file of project.files ?? []) {
    if (!file?.filename || typeof file.url !== 'string') continue;
    const version = versionFromFilename(file.filename, id);
    if (!version) continue;
    // PEP 658 metadata is fetched from next to the file, so the file's
    // URL decides where both requests go.
    const url = resolveFileUrl(request, file.url, response.url);
    if (!url) continue;
    const wheel = file.filename.endsWith('.whl');
    const converted: PypiJsonFile = {
      filename: file.filename,
      url,
      packagetype: wheel ? 'bdist_wheel' : 'sdist',
      digests: { sha256: file.hashes?.sha256, md5: file.hashes?.md5 },
      ...(typeof file.size === 'number' ? { size: file.size } : {}),
      yanked: Boolean(file.yanked),
      ...(typeof file.yanked === 'string' && file.yanked ? { yanked_reason: file.yanked } : {}),
      ...(file['upload-time'] ? { upload_time_iso_8601: file['upload-time'] } : {}),
      coreMetadata: Boolean(file['core-metadata'] ?? file['dist-info-metadata']),
    };
    const files = releases.get(version) ?? [];
    files.push(converted);
    releases.set(version, files);
  }

  const finals = [...releases.keys()].filter(v => pep440.explain(v)?.is_prerelease === false);
  const latest = finals.sort(pep440.compare).at(-1);

  return {
    notModified: false,
    releases: [...releases].map(([version, files]) => ({ version, files })),
    latest,
    validators: response.validators,
    url: response.url,
    async releaseMetadata(release) {
      for (const file of metadataCandidates(release)) {
        const url = new URL(file.url);
        url.hash = '';
        let answer;
        try {
          // A plain GET from next to the file: through the URL reader, as the file is collected.
          answer = await upstream.read(`${url.href}.metadata`, { signal });
        } catch (error) {
          // A file on a host the policy refuses is not read; its own
          // collection fails the same way, visibly.
          if (!isGateRefusal(error)) throw error;
          request.warn?.(`${id} ${release.version}: ${errorMessage(error)}`);
          continue;
        }
        if (answer.status === 200) return readCoreMetadata(answer.body.toString('utf8'));
      }
      return undefined;
    },
  };
};
