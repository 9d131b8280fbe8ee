import { PypiJsonFile } from './distributionFiles';
import { getListing, parseJsonBody, ProjectListingReader } from './ProjectListing';

/** The parts of PyPI's JSON API (`/pypi/<name>/json`) Backpack reads. */
interface PypiProjectJson {
  info?: { version?: string; requires_dist?: string[] | null };
  releases?: Record<string, PypiJsonFile[]>;
}

/**
 * Reads a project from PyPI's JSON API: `/pypi/<name>/json` lists every
 * release's files but carries only the latest release's metadata, so other
 * releases' `Requires-Dist` come from `/pypi/<name>/<version>/json`.
 */
export const readJsonApiProject: ProjectListingReader = async request => {
  const { upstream, index, id, signal } = request;
  const response = await getListing(
    request,
    `${index}/pypi/${encodeURIComponent(id)}/json`,
    'application/json',
  );
  if (!response) return undefined;
  if (response.notModified) return { notModified: true };
  const project = parseJsonBody<PypiProjectJson>(response);
  const latest = project.info?.version;

  return {
    notModified: false,
    releases: Object.entries(project.releases ?? {}).map(([version, files]) => ({
      version,
      files: Array.isArray(files) ? files : [],
    })),
    latest,
    validators: response.validators,
    url: response.url,
    async requiresDist({ version }) {
      if (version === latest && project.info?.requires_dist !== undefined) {
        return project.info.requires_dist ?? [];
      }
      const url = `${index}/pypi/${encodeURIComponent(id)}/${encodeURIComponent(version)}/json`;
      const { response: answer, json } = await upstream.getJson<PypiProjectJson>(url, { signal });
      if (answer.status === 404) return undefined;
      if (!json) throw new Error(`GET ${url} answered ${answer.status}`);
      return json.info?.requires_dist ?? [];
    },
  };
};
