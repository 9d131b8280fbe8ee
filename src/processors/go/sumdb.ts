/**
 * Lookups in a Go checksum database (`sum.golang.org`'s protocol:
 * `GET $sumdb/lookup/<module>@<version>` answers the record's go.sum lines
 * and a signed tree head). Backpack compares the `h1:` hashes it computed
 * with the record's; it does not verify the record's inclusion proof or
 * the tree head's signature, so the database is trusted as far as the
 * host policy and TLS make its answers its own.
 */
import { UpstreamClient } from '../../upstream/UpstreamClient';
import { escapeModulePath } from './modulePath';

/** What the database said of one module version. */
export type SumdbAnswer =
  | { status: 'found'; zip?: string; mod?: string }
  | { status: 'unknown' }
  | { status: 'unreachable'; reason: string };

/** Looks a module version up; never throws for an unreachable or unknowing database. */
export async function lookupSumdb(
  upstream: UpstreamClient,
  base: string,
  module: string,
  version: string,
  signal?: AbortSignal,
): Promise<SumdbAnswer> {
  let body: string;
  try {
    const response = await upstream.read(
      `${base}/lookup/${escapeModulePath(module)}@${escapeModulePath(version)}`,
      { signal },
    );
    // 404 and 410: the database does not know the module (a private one).
    if (response.status === 404 || response.status === 410) return { status: 'unknown' };
    if (response.status !== 200) return { status: 'unreachable', reason: `answered ${response.status}` };
    body = response.body.toString('utf8');
  } catch (error) {
    if (signal?.aborted) throw error;
    return { status: 'unreachable', reason: (error as Error).message };
  }
  const answer: { status: 'found'; zip?: string; mod?: string } = { status: 'found' };
  for (const line of body.split('\n')) {
    const [path, v, hash] = line.split(' ');
    if (path !== module || !hash?.startsWith('h1:')) continue;
    if (v === version) answer.zip = hash;
    if (v === `${version}/go.mod`) answer.mod = hash;
  }
  return answer;
}
