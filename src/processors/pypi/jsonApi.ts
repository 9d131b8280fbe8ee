import { redactUrl, upstreamUrl } from '../../upstream/urls';
import { licenseOf, ReleaseMetadata } from './coreMetadata';
import { PypiJsonFile } from './distributionFiles';
import {
  getListing,
  parseJsonBody,
  ProjectListingReader,
  resolveFileUrl,
} from './ProjectListing';

/** The parts of PyPI's JSON API (`/pypi/<name>/json`) Backpack reads. */
interface PypiProjectJson {
  info?: { version?: string; requires_dist?: string[] | null; license?: string | null; license_expression?: string | null };
  releases?: Record<string, PypiJsonFile[]>;
}

/**
 * Reads a project from PyPI's JSON API: `/pypi/<name>/json` lists every
 * release's files but carries only the latest release's metadata, so other
 * releases' `Requires-Dist` come from `/pypi/<name>/<version>/json`.
 */
export const readJsonApiProject: ProjectListingReader = async request => {
  const { upstream, index, id, signal } = request;
  // The JSON API answers JSON to any GET: a plain GET, through the URL reader.
  const response = await getListing(request, upstreamUrl(index, ['pypi', id, 'json']));
  if (!response) return undefined;
  if (response.notModified) return { notModified: true };
  const project = parseJsonBody<PypiProjectJson>(response);
  const latest = project.info?.version;
  const releaseUrls = new Map<string, string>();

  return {
    notModified: false,
    releases: Object.entries(project.releases ?? {}).flatMap(([version, files]) => {
      let url: string;
      try {
        // The version is a path segment of its metadata URL.
        url = upstreamUrl(index, ['pypi', id, version, 'json']);
      } catch {
        request.warn?.(`${id}: skipping release ${JSON.stringify(version.slice(0, 100))}, not a usable version`);
        return [];
      }
      releaseUrls.set(version, url);
      const listed = Array.isArray(files) ? files : [];
      return [
        {
          version,
          files: listed.flatMap(file => {
            const resolved =
              file && typeof file.url === 'string'
                ? resolveFileUrl(request, file.url, response.url)
                : undefined;
            return resolved ? [{ ...file, url: resolved }] : [];
          }),
        },
      ];
    }),
    latest,
    validators: response.validators,
    url: response.url,
    async releaseMetadata({ version }) {
      const metadataOf = (info: PypiProjectJson['info']): ReleaseMetadata => {
        const license = licenseOf(info?.license_expression, info?.license);
        return { requiresDist: info?.requires_dist ?? [], ...(license ? { license } : {}) };
      };
      if (version === latest && project.info?.requires_dist !== undefined) {
        return metadataOf(project.info);
      }
      const url = releaseUrls.get(version);
      if (!url) return undefined;
      const { response: answer, json } = await upstream.readJson<PypiProjectJson>(url, { signal });
      if (answer.status === 404) return undefined;
      if (!json) throw new Error(`GET ${redactUrl(answer.url)} answered ${answer.status}`);
      return metadataOf(json.info);
    },
  };
};
