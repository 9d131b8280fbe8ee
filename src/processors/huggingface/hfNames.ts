import { InputError } from '@backstage/errors';

/** The kinds of Hub repositories, as the Hub's API names them in paths (`/api/<kind>s/…`). */
export type HubRepoType = 'model' | 'dataset' | 'space';

/** A Hub repository an artifact id names. */
export interface HubRepo {
  type: HubRepoType;
  /** `owner/name` (or a legacy owner-less `name`), as the Hub spells it. */
  name: string;
}

/**
 * One part of a repository name, as huggingface_hub validates them: word
 * characters, `-` and `.`, at most 96, not starting or ending with `-` or
 * `.`, without `--` or `..`.
 */
const PART = /^(?![-.])(?!.*(?:--|\.\.))[\w.-]{1,96}(?<![-.])$/;

const PREFIXES: Record<string, HubRepoType> = { datasets: 'dataset', spaces: 'space', models: 'model' };

/** A 40-digit commit id, as the Hub's `sha` and resolve URLs spell them. */
export const COMMIT = /^[0-9a-f]{40}$/;

/**
 * Parses an artifact id: `owner/name` for a model, `datasets/owner/name`
 * or `spaces/owner/name` for the other kinds (a kind is part of the id
 * because a model and a dataset may share a name). Owner-less legacy names
 * (`gpt2`) are accepted too; `models/` is dropped as redundant.
 */
export function parseHubRepoId(id: string): HubRepo {
  const parts = id.split('/');
  let type: HubRepoType = 'model';
  if (parts.length > 1 && Object.hasOwn(PREFIXES, parts[0])) {
    // `datasets/foo` names the owner-less dataset foo: the Hub has no account `datasets`.
    type = PREFIXES[parts[0]];
    parts.shift();
  }
  if (parts.length < 1 || parts.length > 2 || !parts.every(part => PART.test(part))) {
    throw new InputError(
      `id: '${id.slice(0, 200)}' is not a Hugging Face repository ([datasets/|spaces/]owner/name, ` +
        'each part letters, digits, _, - and ., at most 96)',
    );
  }
  return { type, name: parts.join('/') };
}

/** The canonical artifact id of a repository. */
export function hubRepoId(repo: HubRepo): string {
  return repo.type === 'model' ? repo.name : `${repo.type}s/${repo.name}`;
}

/** The Hub's API path of a repository, `/api/models/owner/name`. */
export function hubApiPath(repo: HubRepo): string {
  return `/api/${repo.type}s/${repo.name}`;
}

/** The Hub's path of a repository's files, `/owner/name` for models, `/datasets/owner/name` otherwise. */
export function hubFilesPath(repo: HubRepo): string {
  return repo.type === 'model' ? `/${repo.name}` : `/${repo.type}s/${repo.name}`;
}

/** A path within a repository as a URL path: each segment encoded, slashes kept (huggingface_hub's `quote`). */
export function encodeRepoPath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/**
 * The file name Backpack stores a repository file under: one path segment
 * (`sub/model.safetensors` → `sub%2Fmodel.safetensors`), reversible by
 * {@link repoPathOfFileName}. Only `%`, `/` and `\` are escaped, so names
 * stay readable.
 */
export function fileNameOfRepoPath(path: string): string {
  return path.replace(/[%/\\]/g, c => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/** The repository path a stored file name stands for; undefined for a name no repository path gives. */
export function repoPathOfFileName(name: string): string | undefined {
  if (/%(?!25|2F|5C)/.test(name)) return undefined;
  return name.replace(/%(25|2F|5C)/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/**
 * Whether a path from the Hub's listing is one Backpack may store and
 * serve: relative, no empty, `.` or `..` segments.
 */
export function isRepoPath(path: string): boolean {
  return (
    path.length > 0 &&
    path.length <= 1024 &&
    !path.includes('\\') &&
    path.split('/').every(segment => segment !== '' && segment !== '.' && segment !== '..')
  );
}
