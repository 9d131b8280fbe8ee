// What huggingface_hub's `snapshot_download` sends and requires, step by
// step, for hosts where the library itself cannot be installed (PyPI is
// out of reach of the test machines). Read from its source
// (`_snapshot_download.py`, `hf_api.py` `repo_info`/`list_repo_tree`,
// `file_download.py` `get_hf_file_metadata`/`_get_metadata_or_catch_error`):
//
// 1. `GET {endpoint}/api/models/{repo}/revision/{quote(rev, safe='')}`: `sha` must be set;
// 2. `GET {endpoint}/api/models/{repo}/tree/{sha}?recursive=true&expand=false`,
//    pages along `Link: <…>; rel="next"`; entries of type `file` need
//    `path`, `size`, `oid`, and `lfs.oid`/`size`/`pointerSize` when `lfs` is set;
// 3. per file `HEAD {endpoint}/{repo}/resolve/{sha}/{quote(path)}` with
//    `Accept-Encoding: identity`, following relative redirects only:
//    `X-Repo-Commit` required, the ETag (`X-Linked-Etag` or `ETag`, quotes
//    and `W/` dropped) required, the size (`X-Linked-Size`, or
//    `Content-Length` unless redirected) required; then `GET` of `Location`
//    (or the URL), without the token when on another host, and the body
//    must have that size ("Consistency check failed" otherwise).

/** A file as the client stored it, with the metadata it stored it by. */
export interface HubClientFile {
  body: Buffer;
  etag: string;
}

function required(value: string | null | undefined, what: string): string {
  if (value === null || value === undefined) throw new Error(`huggingface_hub would fail: ${what}`);
  return value;
}

const quotePath = (path: string) => path.split('/').map(encodeURIComponent).join('/');
const normalizeEtag = (etag: string) => etag.replace(/^W\//, '').replace(/^"|"$/g, '');

async function call(url: string, init: { method?: string; headers: Record<string, string> }) {
  return fetch(url, { ...init, redirect: 'manual' });
}

/** Downloads a model repository's snapshot as huggingface_hub does; throws where it would. */
export async function hubClientSnapshot(options: {
  endpoint: string;
  token?: string;
  repoId: string;
  revision: string;
}): Promise<{ commit: string; files: Map<string, HubClientFile> }> {
  const { endpoint, repoId } = options;
  const headers: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};

  const info = await call(`${endpoint}/api/models/${repoId}/revision/${encodeURIComponent(options.revision)}`, {
    headers,
  });
  if (info.status !== 200) throw new Error(`repo_info answered ${info.status}`);
  const commit = required(((await info.json()) as { sha?: string }).sha, 'repo info has no sha');

  const paths: string[] = [];
  let page: string | undefined = `${endpoint}/api/models/${repoId}/tree/${commit}?recursive=true&expand=false`;
  while (page) {
    const res = await call(page, { headers });
    if (res.status !== 200) throw new Error(`list_repo_tree answered ${res.status}`);
    for (const entry of (await res.json()) as Array<Record<string, any>>) {
      if (entry.type !== 'file') {
        required(entry.oid, 'a folder without oid (RepoFolder pops it)');
        continue;
      }
      required(entry.path, 'a file without path');
      if (typeof entry.size !== 'number') throw new Error('huggingface_hub would fail: a file without size');
      required(entry.oid, 'a file without oid');
      if (entry.lfs) required(String(entry.lfs.oid && entry.lfs.size >= 0 && entry.lfs.pointerSize), 'lfs fields');
      paths.push(entry.path);
    }
    const link = /<([^>]*)>\s*;\s*rel="next"/.exec(res.headers.get('link') ?? '');
    page = link ? new URL(link[1], page).toString() : undefined;
  }

  const files = new Map<string, HubClientFile>();
  for (const path of paths) {
    let url = `${endpoint}/${repoId}/resolve/${commit}/${quotePath(path)}`;
    let head = await call(url, { method: 'HEAD', headers: { ...headers, 'accept-encoding': 'identity' } });
    while (head.status >= 300 && head.status < 400 && head.headers.get('location')?.startsWith('/')) {
      url = new URL(head.headers.get('location')!, url).toString();
      head = await call(url, { method: 'HEAD', headers: { ...headers, 'accept-encoding': 'identity' } });
    }
    if (head.status >= 400) throw new Error(`HEAD ${url} answered ${head.status}`);
    required(head.headers.get('x-repo-commit'), 'no X-Repo-Commit ("Distant resource does not seem to be on huggingface.co")');
    const etag = normalizeEtag(
      required(head.headers.get('x-linked-etag') ?? head.headers.get('etag'), 'no ETag ("Distant resource does not have an ETag")'),
    );
    const redirected = head.status >= 300;
    const size = Number(
      required(
        head.headers.get('x-linked-size') ?? (redirected ? null : head.headers.get('content-length')),
        'no size ("Distant resource does not have a Content-Length")',
      ),
    );
    const location = head.headers.get('location') ?? url;
    const sameHost = new URL(location).host === new URL(url).host;
    const res = await call(location, { headers: sameHost ? headers : {} });
    if (res.status !== 200) throw new Error(`GET ${location} answered ${res.status}`);
    const body = Buffer.from(await res.arrayBuffer());
    if (body.length !== size) throw new Error(`Consistency check failed: ${path} should be ${size} bytes, got ${body.length}`);
    files.set(path, { body, etag });
  }
  return { commit, files };
}
