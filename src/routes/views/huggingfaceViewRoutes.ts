import { Request, Response } from 'express';
import { HubRepo, HubRepoType, parseHubRepoId } from '../../processors/huggingface/hfNames';
import { HubErrorCode, HubNotFoundError } from '../../views/huggingface/HuggingfaceView';
import { sendStream } from '../sendStream';
import { rangeOf } from './byteRange';
import { ViewRoutes } from './viewHttp';

const KINDS: Record<string, HubRepoType> = { models: 'model', datasets: 'dataset', spaces: 'space' };

const ERROR_MESSAGES: Record<HubErrorCode, string> = {
  RepoNotFound: 'Repository not found',
  RevisionNotFound: 'Invalid rev id',
  EntryNotFound: 'Entry not found',
};

/** The path's segments after `/huggingface/`, decoded (rejectImpossibleViewPaths let only decodable ones in). */
function segmentsOf(req: Request): string[] {
  return req.path.split('/').slice(2).map(decodeURIComponent);
}

/** The repository the first `length` segments name, or a 404 the Hub's way. */
function repoOf(type: HubRepoType, segments: string[]): HubRepo {
  const prefix = type === 'model' ? '' : `${type}s/`;
  try {
    return parseHubRepoId(`${prefix}${segments.join('/')}`);
  } catch {
    throw new HubNotFoundError('Repository not found', 'RepoNotFound');
  }
}

/**
 * Splits `<repo>/<keyword>/<rev>/<rest…>` where the repository is
 * `owner/name` or an owner-less `name`; undefined when no keyword follows.
 */
function split(segments: string[], keywords: string[]) {
  for (const length of [2, 1]) {
    const keyword = segments[length];
    if (keywords.includes(keyword) && segments.length > length + 1) {
      return { repo: segments.slice(0, length), keyword, revision: segments[length + 1], rest: segments.slice(length + 2) };
    }
  }
  return undefined;
}

/** Sends the Hub's error code along with a 404, as huggingface_hub tells them apart by it. */
async function hubErrors(res: Response, handle: () => Promise<void>): Promise<void> {
  try {
    await handle();
  } catch (error) {
    if (error instanceof HubNotFoundError) {
      res.setHeader('x-error-code', error.hubCode);
      // A fixed text: the message quotes the request, which may hold what no header can.
      res.setHeader('x-error-message', ERROR_MESSAGES[error.hubCode]);
      if (error.commit) res.setHeader('x-repo-commit', error.commit);
    }
    throw error;
  }
}

/**
 * The Hugging Face Hub view at `/huggingface/` (`HF_ENDPOINT`):
 * `/api/<kind>s/<repo>[/revision/<rev>]`, `/api/<kind>s/<repo>/tree/<rev>[/<folder>]`
 * and `/[<kind>s/]<repo>/resolve/<rev>/<path>` (GET and HEAD, ranges).
 */
export const huggingfaceViewRoutes: ViewRoutes = {
  paths: ['/huggingface'],
  add(router, http) {
    const view = () => http.serve.huggingface;

    router.get('/huggingface/api/:kind(models|datasets|spaces)/:path(*)', (req: Request, res: Response) =>
      hubErrors(res, async () => {
        const access = await http.access(req, res);
        const [kind, ...segments] = segmentsOf(req).slice(1);
        const type = KINDS[kind];
        const found = split(segments, ['revision', 'tree']);
        if (!found) {
          // `/api/models/<repo>`: the repository at `main`.
          if (segments.length > 2) throw new HubNotFoundError('Not found', 'RepoNotFound');
          res.json(await view().revisionInfo(repoOf(type, segments), 'main', access));
          return;
        }
        const repo = repoOf(type, found.repo);
        if (found.keyword === 'revision') {
          if (found.rest.length) throw new HubNotFoundError('Not found', 'RevisionNotFound');
          res.json(await view().revisionInfo(repo, found.revision, access));
          return;
        }
        const recursive = req.query.recursive === 'true' || req.query.recursive === '1';
        res.json(await view().tree(repo, found.revision, found.rest.join('/'), recursive, access));
      }),
    );

    // Registered after the API: a path of the API never reaches here.
    router.get('/huggingface/:path(*)', (req: Request, res: Response) =>
      hubErrors(res, async () => {
        const access = await http.access(req, res);
        let segments = segmentsOf(req);
        let type: HubRepoType = 'model';
        if (segments[0] === 'datasets' || segments[0] === 'spaces') {
          type = KINDS[segments[0]];
          segments = segments.slice(1);
        }
        const found = split(segments, ['resolve']);
        if (!found || found.rest.length === 0) throw new HubNotFoundError('Not found', 'EntryNotFound');
        const file = await view().resolve(repoOf(type, found.repo), found.revision, found.rest.join('/'), access);
        const { entry } = file;
        const etag = `"${entry.lfs ? entry.lfs.sha256 : entry.oid}"`;
        res.setHeader('x-repo-commit', file.commit);
        res.setHeader('etag', etag);
        if (entry.lfs) {
          res.setHeader('x-linked-etag', etag);
          res.setHeader('x-linked-size', String(entry.size));
        }
        res.setHeader('content-type', 'application/octet-stream');
        res.setHeader('cache-control', 'no-transform');
        res.setHeader('accept-ranges', 'bytes');
        res.setHeader('x-backpack-verified', String(file.verified));
        const range = rangeOf(req.headers.range, entry.size);
        if (range === 'unsatisfiable') {
          res.setHeader('content-range', `bytes */${entry.size}`);
          res.status(416).end();
          return;
        }
        if (range !== 'all') {
          res.status(206).setHeader('content-range', `bytes ${range.start}-${range.end}/${entry.size}`);
        }
        res.setHeader('content-length', range === 'all' ? entry.size : range.end - range.start + 1);
        if (req.method === 'HEAD') {
          res.end();
          return;
        }
        const { body } = await file.open(range === 'all' ? undefined : range);
        await sendStream(req, res, body, http.logger);
      }),
    );
  },
};
